"""Entry point of an untrusted harness child: `python -m szagents.backends.child.runner`.

It runs ONE direction (compress or decompress) of a kernel library inside the sandbox and
computes nothing that is believed: it copies the parent's inputs from the shared arena into the
kernel's buffers, calls the kernel, copies the raw outputs back, and reports what the kernel
returned and how long the calls took, as claims. The trusted parent checks every byte after
this process's whole tree is dead. A "diagnose" child runs the in-process harness of diagnosis.py,
whose verdicts only refine the message of a failure the parent has already found.

Descriptors: 3 = control socket (typed messages as JSON lines both ways: orders.py in, claims.py out), 4 = arena,
5 = the kernel library. Everything is imported before the library is loaded; the kernel's prints go to stderr. A cpu
child imports numpy only to diagnose (numpy's import was three quarters of a child's start), a cuda child CuPy.
"""

from __future__ import annotations

import ctypes
import json
import os
import select
import socket
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from szagents.backends.child.arena import Arena
from szagents.backends.child.claims import (AbiError, CallReport, Described, Diagnosed, DiagnosisClaim, Done, Fault,
                                            Finished, Loaded, Machine, Progress, Ready, Stored, Trace, Validated, Warm)
from szagents.backends.child.device import KernelLibrary
from szagents.backends.child.devices import make_device
from szagents.backends.child.orders import BenchCase, CaseLayout, Go, Null, Regions, Repetitions, Request, StartBench
from szagents.backends.child.schema import Message
from szagents.backends.child.wire import PACKET, send_line

__all__ = ["main", "CONTROL_FD", "ARENA_FD", "LIBRARY_FD", "REPS_FD"]

CONTROL_FD, ARENA_FD, LIBRARY_FD, REPS_FD = 3, 4, 5, 6  # REPS_FD: sized by the parent after the warm-up
_WARM_MAX_CALLS = 2000
SPIN_SECONDS = 1.0  # a GPU child waits for each timed `go` awake for this long, then blocks


O = TypeVar("O", bound=Message)


class _Channel:
    """Typed messages over the control socket."""

    def __init__(self, fd: int) -> None:
        self._sock = socket.socket(fileno=fd)
        self._buffer = bytearray()

    def send(self, claim: Message) -> None:
        send_line(self._sock, (json.dumps(claim.to_wire()) + "\n").encode())

    def receive(self, kind: type[O], spin: bool = False) -> O:
        """The next line, which must be a kind (MessageError: the parent said something else). spin: poll awake
        for up to SPIN_SECONDS before blocking, so a timed `go` finds this process running rather than asleep
        (waking a blocked reader took 100-200 us after the parent's pauses between repetitions, against about
        10 us back to back: the null handshakes' pace)."""
        spun = time.perf_counter() + (SPIN_SECONDS if spin else 0.0)
        while b"\n" not in self._buffer:
            if spin and time.perf_counter() < spun and not select.select([self._sock], [], [], 0)[0]:
                continue
            chunk = self._sock.recv(PACKET)
            if not chunk:
                raise SystemExit(0)  # the parent hung up: nothing more to do
            if not self._buffer and chunk.find(b"\n") == len(chunk) - 1:  # most often: one packet, one line
                return kind.from_wire(json.loads(chunk))
            self._buffer += chunk
        line, _, rest = bytes(self._buffer).partition(b"\n")
        self._buffer = bytearray(rest)
        return kind.from_wire(json.loads(line))


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _load(dtype: str, returned: Any) -> KernelLibrary:
    """The kernel library from its descriptor (OSError: the loader refused it; AttributeError: a symbol is missing)."""
    return KernelLibrary(ctypes.CDLL(f"/proc/self/fd/{LIBRARY_FD}"), dtype, returned)


class _Child:
    """One direction of one kernel over the cases and repetitions the parent laid out."""

    def __init__(self, request: Request, channel: _Channel) -> None:
        self.req, self.ch = request, channel
        self.dtype = request.dtype
        self.arena = Arena.attach(ARENA_FD, request.arena)
        self.dev = make_device(request.device, request.role)
        self._gpu, self._flushed = request.device != "cpu", False  # _flushed: the next call's flush is queued
        self.lib: KernelLibrary | None = None
        if request.role == "diagnose":  # the ladder (and numpy), imported before the library is loaded
            from szagents.backends.child import diagnosis

            self.ladder: Any = diagnosis

    # ----- the kernel call ------------------------------------------------------------------
    def _call(self, role: str, src: Any, size: int, n: int, eb: float, dst: Any, capacity: int) -> tuple[int, int]:
        ptr, stream = self.dev.pointer, self.dev.stream()
        if role == "compress":
            status = self.lib.compress(ptr(src), n, eb, ptr(dst), capacity, stream)  # type: ignore[union-attr]
            return status, self.lib.out_bytes  # type: ignore[union-attr]
        return self.lib.decompress(ptr(src), size, n, eb, ptr(dst), stream), 0  # type: ignore[union-attr]

    def calibrate(self) -> None:
        """Null handshakes before the library is loaded: the parent measures its own round-trip allowance (one
        null call per `null`, or a batch of them back to back, each answered; a cpu child never spins)."""
        while (message := self.ch.receive(Null, self._gpu)).null is not None:
            for i in range(message.batch):  # what a repetition does around its call, so the allowance holds it too
                status, seconds, marks = self._timed(  # the cheapest call: a launch (and a size read back), or nothing
                    lambda: self.dev.null_call(self.req.role == "compress"), None, i < message.batch - 1)
                self.ch.send(Done(message.null, seconds, status, marks))

    def _timed(self, call: Callable[[], int], repetition: int | None, more: bool) -> tuple[int, float, list[float]]:
        """One timed call (status, claimed seconds, host marks: start, after the flush, the call, the synchronize):
        its window, the L2 flush (GPU), the call, a device-wide synchronize. more: another call of the batch
        follows, and its flush is queued now, before this one is answered, so the device flushes while the host
        answers and loops (host time on the parent's clock while the device idles was 20-30 us a call, and its
        jitter moved the floor of a 30 us call by a third between two processes: H100, 2026-12-07)."""
        marks = [time.perf_counter()]
        self.dev.open_window()
        if self._gpu and not self._flushed:
            self.dev.flush_cache()
        marks.append(time.perf_counter())
        status, seconds = self.dev.time_call(call)
        marks.append(time.perf_counter())
        self.dev.sync_all()
        self.dev.close_window(repetition)
        marks.append(time.perf_counter())
        self._flushed = self._gpu and more
        if self._flushed:
            self.dev.flush_cache()
        return status, seconds, marks

    # ----- validation -----------------------------------------------------------------------
    def validate(self) -> None:
        """Every case, every round, in the same kernel buffers (so pointer-keyed caches show)."""
        role = self.req.role
        for case in self.req.cases:
            self.ch.send(Progress("case", case.dataset))
            src_size = max(self.arena.regions[r.src][1] for r in case.rounds)
            dst_size = max(self.arena.regions[r.dst][1] for r in case.rounds)
            src, dst = self.dev.alloc(src_size), self.dev.alloc(dst_size)
            for index, rnd in enumerate(case.rounds):
                self._round(role, case, index, rnd, src, dst)

    def _round(self, role: str, case: CaseLayout, index: int, rnd: Regions, src: Any, dst: Any) -> None:
        host_src, host_dst = self.dev.view(self.arena, rnd.src), self.dev.view(self.arena, rnd.dst)
        self.dev.copy_in(src[:host_src.size], host_src)
        self.dev.copy_in(dst[:host_dst.size], host_dst)  # the parent's poison
        self.ch.send(Progress(role))
        status, nbytes = self._call(role, src, rnd.size, case.n, case.eb, dst, case.capacity)
        self.dev.synchronize()
        self.dev.copy_out(host_dst, dst[:host_dst.size])  # what the ABI stream finished
        snapshot = host_dst.tobytes()
        self.dev.sync_all()
        self.dev.copy_out(host_dst, dst[:host_dst.size])  # what every stream finished
        settled = snapshot == host_dst.tobytes()
        if role == "compress" and rnd.after is not None:
            self.dev.copy_out(self.dev.view(self.arena, rnd.after), src[:host_src.size])  # did it write its input?
        self.ch.send(CallReport(role, case.dataset, index, int(status), int(nbytes), settled))

    # ----- benchmark ------------------------------------------------------------------------
    def benchmark(self, bench: BenchCase) -> None:
        """Warm up on the base input, then time the repetitions the parent starts one by one."""
        role = self.req.role
        self.ch.send(Described(Machine(**self.dev.describe())))  # measured before this case's kernel calls
        base_src, base_dst = self.dev.view(self.arena, bench.base.src), self.dev.view(self.arena, bench.base.dst)
        src, dst = self.dev.alloc(base_src.size), self.dev.alloc(base_dst.size)
        self.dev.copy_in(src, base_src)
        self.dev.copy_in(dst, base_dst)
        self.ch.send(Progress(f"benchmark {role}"))
        self.dev.begin_case()
        status, claims = self._warm_up(role, bench, src, dst)
        self.dev.copy_out(base_dst, dst)
        out_bytes = self.lib.out_bytes if role == "compress" else 0  # type: ignore[union-attr]
        self.ch.send(Warm(claims, int(status), int(out_bytes)))
        self._repetitions(role, bench)

    def _warm_up(self, role: str, bench: BenchCase, src: Any, dst: Any) -> tuple[int, list[float]]:
        """At least bench.warmup calls, then batches until two successive batches' medians agree within
        bench.warmup_agreement, or bench.warmup_seconds have passed (clocks, caches, lazy loading settle)."""
        size = bench.base.size
        least, cap = bench.warmup, float(bench.warmup_seconds)
        agreement = float(bench.warmup_agreement)
        batch = max(least, 2)
        claims: list[float] = []
        started, status = time.perf_counter(), 0
        while True:
            for i in range(batch):
                status, seconds, _ = self._timed(
                    lambda: self._call(role, src, size, bench.n, bench.eb, dst, bench.capacity)[0], None, i < batch - 1)
                claims.append(seconds)
            if status != 0 or time.perf_counter() - started >= cap or len(claims) >= _WARM_MAX_CALLS:
                return status, claims
            if len(claims) >= 2 * batch:
                before, now = _median(claims[-2 * batch:-batch]), _median(claims[-batch:])
                if abs(now - before) <= agreement * max(before, 1e-12):
                    return status, claims

    def _repetitions(self, role: str, bench: BenchCase) -> None:
        message = self.ch.receive(Repetitions)
        reps = message.reps
        arena = Arena.attach(REPS_FD, message.layout)
        buffers = []
        for rep in reps:  # cpu: the arena itself (distinct addresses); cuda: distinct device buffers
            hs, hd = self.dev.view(arena, rep.src), self.dev.view(arena, rep.dst)
            if self._gpu:
                s, d = self.dev.alloc(hs.size), self.dev.alloc(hd.size)
                self.dev.copy_in(s, hs)
                self.dev.copy_in(d, hd)
                buffers.append((s, d))
            else:
                buffers.append((hs, hd))
        self.ch.send(Ready(len(reps)))
        while (go := self.ch.receive(Go, self._gpu)).go is not None:
            last = min(go.go + go.batch, len(reps)) - 1
            for r in range(go.go, last + 1):  # a batch: back to back, each answered
                self._repetition(role, bench, reps[r], buffers[r], r, go.token, r < last)
        trace = self.dev.trace_report(len(reps))  # after the last `done`: reading the trace is never timed
        if self._gpu:
            for rep, (s, d) in zip(reps, buffers):
                self.dev.copy_out(self.dev.view(arena, rep.dst), d)
        self.ch.send(Stored(len(reps), None if trace is None else Trace.from_wire(trace)))

    def _repetition(self, role: str, bench: BenchCase, rep: Regions, buffers: tuple[Any, Any], r: int,
                    token: str | None, more: bool) -> None:
        """One timed repetition (_timed), then its `done`."""
        s, d = buffers
        holder: dict[str, int] = {}

        def call() -> int:
            holder["status"], holder["bytes"] = self._call(role, s, rep.size, bench.n, bench.eb, d, bench.capacity)
            return holder["status"]

        _, seconds, marks = self._timed(call, r, more)
        self.ch.send(Done(r, seconds, holder["status"], marks, holder["bytes"], token))

    def diagnose(self) -> None:
        """The in-process harness on the failing case: its verdict names the cheat, if one explains it."""
        spec = self.req.diagnose
        if spec is None:
            raise ValueError("a diagnose request without the case to diagnose")
        data = self.arena.view(spec.data, self.dtype)[: spec.n].copy()
        harness = self.ladder.Harness(self.dev, self.lib, lambda phase: self.ch.send(Progress(phase)))
        try:
            result = harness.validate(self.ladder.Case(spec.dataset, data, spec.eb, spec.capacity))
        except Exception as exc:  # noqa: BLE001 - a classified failure or a device fault: either way, a claim
            fields = self.ladder.failure_fields(exc) or {"verdict": "crash", "detail": str(exc)}
            result = {"verdict": fields["verdict"], "detail": fields["detail"]}
        verdict, detail = result.get("verdict"), result.get("detail", "")
        self.ch.send(Diagnosed(DiagnosisClaim(verdict if isinstance(verdict, str) else None, str(detail))))


def _run(child: _Child) -> None:
    child.calibrate()
    if child.req.role == "diagnose":  # CuPy's kernels for the in-process checks, compiled before the library
        child.dev.prepare(child.dtype)
    try:
        child.lib = _load(child.dtype, child.dev.returned)
    except (OSError, AttributeError) as exc:
        child.ch.send(AbiError(str(exc)))
        return
    child.ch.send(Loaded())
    if child.req.role == "diagnose":
        child.diagnose()
        return
    child.validate()
    child.ch.send(Validated())
    if child.ch.receive(StartBench).bench:
        for bench in child.req.bench:
            child.benchmark(bench)
    child.ch.send(Finished())


def main() -> int:
    """Serve one request from the parent; exit 0 when it was served."""
    os.dup2(2, 1)  # the kernel's printf goes to stderr, like everything else it writes
    channel = _Channel(CONTROL_FD)
    try:
        _run(_Child(channel.receive(Request), channel))
    except SystemExit:
        raise
    except Exception:  # a device fault or our bug: reported as a claim; the parent classifies
        channel.send(Fault(traceback.format_exc()[-4000:]))
        # After a sticky CUDA error every CuPy stream and event destructor raises again at interpreter exit,
        # burying the one line that matters under tracebacks: leave without running them.
        sys.stderr.flush()
        os._exit(3)
    return 0


if __name__ == "__main__":
    sys.exit(main())
