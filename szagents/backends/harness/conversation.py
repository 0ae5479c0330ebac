"""Drive one untrusted harness child through its protocol and keep what it claimed.

The parent measures its own wall clock around every timed repetition (go -> done) and around
null repetitions run before the kernel library is loaded (the allowance): these are the trusted
figures the reported time is bounded by. It also reads the CPU time of the child's whole tree at
`ready`, before staging each repetition (once the tree is idle, on cpu), at `go` and at `done`
(offclock.py). Nothing here decides a verdict. Every message is typed (child/orders.py out, child/claims.py in)
and checked on receipt by the channel.
"""

from __future__ import annotations

import os
import secrets
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from szagents.backends.child.arena import Arena
from szagents.backends.child.claims import (AbiError, CallReport, Described, Diagnosed, DiagnosisClaim, Done, Finished,
                                            Loaded, Machine, Ready, Stored, Trace, Validated, Warm)
from szagents.backends.child.orders import Go, Null, Regions, Repetitions, Request, StartBench
from szagents.backends.harness.channel import Channel, ChildFault, ChildGone, ProtocolBreak, control_pair
from szagents.backends.harness.offclock import CpuMarks, CpuMeter
from szagents.backends.child.runner import ARENA_FD, CONTROL_FD, LIBRARY_FD, REPS_FD
from szagents.backends.sandbox import Limits, ProcessOutcome, SandboxProcess, SandboxSpec
from szagents.backends.sandbox.layout import runner_pythonpath
from szagents.backends.harness.verify import Failure

__all__ = ["ChildReport", "BenchRecord", "converse", "ended", "NULL_HANDSHAKES", "NULL_BATCHES"]

NULL_HANDSHAKES = 24
NULL_BATCHES = 12  # where repetitions run in batches: null batches of the same size, between the single handshakes
BATCHES_PER_CASE = 6  # a case of n repetitions runs in batches of at most n // 6 (long calls: small batches)


@dataclass
class BenchRecord:
    """One benchmark case as the child claimed it and the parent clocked it."""

    warm: Warm
    reps: list[Regions] = field(default_factory=list)  # arena regions of each repetition
    walls: list[float] = field(default_factory=list)  # parent's go -> done, seconds
    sent: list[float] = field(default_factory=list)  # parent's perf_counter as each `go` left (timing.handshake_phases)
    batches: list[int] = field(default_factory=list)  # per repetition: how many its `go` started (its wall: a share)
    done: list[Done] = field(default_factory=list)  # the child's claims per repetition
    environment: Machine = field(default_factory=Machine)  # where the child says it ran (a claim)
    trace: Trace | None = None  # GPU: every device activity per repetition and off the clock (a claim)
    cpu: CpuMarks = field(default_factory=CpuMarks)  # the tree's CPU time at ready, idle, go and done (offclock.py)


@dataclass
class ChildReport:
    """Everything one child said, and how it ended."""

    calls: list[CallReport] = field(default_factory=list)
    diagnosis: DiagnosisClaim | None = None  # a diagnosis child's answer
    benches: list[BenchRecord] = field(default_factory=list)
    null_walls: list[float] = field(default_factory=list)
    null_sent: list[float] = field(default_factory=list)  # parent's perf_counter as each null `go` left
    null_done: list[Done] = field(default_factory=list)  # the child's null answers (their marks)
    null_batch_walls: list[float] = field(default_factory=list)  # wall seconds of each null batch (all its calls)
    null_batch: int = 1  # the calls in each null batch
    abi_error: str | None = None
    broke: str | None = None  # a protocol violation
    fault: str | None = None  # a fault the child reported (a device error, most often)
    gone: bool = False  # ended before it finished
    timed_out: bool = False
    phase: str | None = None
    outcome: ProcessOutcome | None = None
    cpu_source: str | None = None  # how the tree's CPU time was read (offclock.py)

    @property
    def finished(self) -> bool:
        return not (self.gone or self.timed_out or self.broke or self.abi_error)


PlanReps = Callable[[int, Warm], list[Regions]]
AfterDone = Callable[[int, int], None]  # (benchmark case, repetition): right after its `done`, untimed
BeforeGo = Callable[[int, int], None]  # (benchmark case, repetition): just before its cache flush and `go`, untimed
Flush = Callable[[int, int], None]  # (benchmark case, repetition): its cache flush, after before_go, untimed


def _round_trip(ch: Channel, spin: bool, go: Null | Go) -> tuple[list[Done], float, float]:
    """(the child's go.batch answers, the wall seconds from sending go to the last answer leaving the child, when
    go left).

    The answer's packet carries the kernel's time of sending: the parent's own delay in waking to read it
    (hundreds of microseconds on a busy machine) is not the child's. Where there is no stamp, or the
    wall clock stepped (the stamp is CLOCK_REALTIME), the parent's monotonic clock to the read."""
    sent_at, start = time.time(), time.perf_counter()
    ch.send(go)
    answers = [ch.expect(Done, spin) for _ in range(go.batch)]
    wall = time.perf_counter() - start
    left = None if ch.stamp is None else ch.stamp - sent_at
    return answers, left if left is not None and 0 <= left <= wall else wall, start


def _calibrate(ch: Channel, report: ChildReport, spin: bool, batch: int) -> None:
    """Single null handshakes, and (batch > 1) null batches interleaved with them: the allowances."""
    report.null_batch = batch
    batches = NULL_BATCHES if batch > 1 else 0
    for i in range(NULL_HANDSHAKES):  # the parent's own cache flush is outside go -> done: not needed here
        answers, wall, start = _round_trip(ch, spin, Null(i))
        report.null_walls.append(wall)
        report.null_sent.append(start)
        report.null_done.extend(answers)
        if i * batches // NULL_HANDSHAKES != (i + 1) * batches // NULL_HANDSHAKES:
            report.null_batch_walls.append(_round_trip(ch, spin, Null(i, batch))[1])
    ch.send(Null(None))


def _bench(ch: Channel, report: ChildReport, plan: PlanReps, reps_arena: Arena, flush: Flush,
           count: int, after_done: AfterDone, before_go: BeforeGo, meter: CpuMeter, spin: bool, batch: int) -> None:
    for index in range(count):
        environment = ch.expect(Described).environment
        record = BenchRecord(warm=ch.expect(Warm), environment=environment)
        report.benches.append(record)
        record.reps = plan(index, record.warm)
        ch.send(Repetitions(record.reps, reps_arena.layout()))
        ch.expect(Ready)
        record.cpu.source, record.cpu.ready = report.cpu_source or "", meter.read()
        size = min(batch, max(len(record.reps) // BATCHES_PER_CASE, 1))  # several batches: a slow one is not the median
        for first in range(0, len(record.reps), size):
            _batch(ch, record, index, range(first, min(first + size, len(record.reps))), flush, after_done,
                   before_go, meter, spin)
        ch.send(Go(None))
        record.trace = ch.expect(Stored).trace


def _batch(ch: Channel, record: BenchRecord, index: int, reps: range, flush: Flush, after_done: AfterDone,
           before_go: BeforeGo, meter: CpuMeter, spin: bool) -> None:
    """One `go` starting len(reps) repetitions back to back; each answers, each gets an equal share of the wall.
    The CPU marks hold the batch as one repetition (the later ones start and end at its end: none off the clock)."""
    meter.idle(record.cpu)
    for r in reps:
        before_go(index, r)
        flush(index, r)
    token = secrets.token_hex(8)  # a `done` must echo it: none can be written before its `go`
    if ch.pending():
        raise ProtocolBreak(f"a message arrived before repetition {reps[0]} was started")
    record.cpu.go.append(meter.read())
    answers, wall, start = _round_trip(ch, spin, Go(reps[0], token, len(reps)))
    end = meter.read()
    record.cpu.done.append(end)
    for r, done in zip(reps, answers):
        if done.token != token or done.done != r:
            raise ProtocolBreak(f"a `done` that does not answer repetition {r}'s `go`")
        if r != reps[0]:
            record.cpu.idle.append(end)
            record.cpu.settled.append(True)
            record.cpu.go.append(end)
            record.cpu.done.append(end)
        record.walls.append(wall / len(reps))
        record.sent.append(start)
        record.batches.append(len(reps))
        record.done.append(done)
        after_done(index, r)


def _talk(ch: Channel, report: ChildReport, request: Request, bench_ok: Callable[[ChildReport], bool],
          plan: PlanReps, reps_arena: Arena, flush: Flush, after_done: AfterDone,
          before_go: BeforeGo, meter: CpuMeter, spin: bool, batch: int) -> None:
    ch.send(request)
    _calibrate(ch, report, spin, batch)
    first = ch.receive()
    if isinstance(first, AbiError):
        report.abi_error = first.abi_error[:2000]
        return
    if not isinstance(first, Loaded):
        raise ProtocolBreak(f"expected Loaded, got {type(first).__name__}")
    if request.role == "diagnose":
        report.diagnosis = ch.expect(Diagnosed).diagnosis
        return
    while not isinstance(message := ch.receive(), Validated):
        if not isinstance(message, CallReport):
            raise ProtocolBreak(f"expected a CallReport, got {type(message).__name__}")
        report.calls.append(message)
    go = bool(request.bench) and bench_ok(report)
    ch.send(StartBench(go))
    if go:
        _bench(ch, report, plan, reps_arena, flush, len(request.bench), after_done, before_go, meter,
               spin, batch)
    ch.expect(Finished)


def converse(
    request: Request, *, arena: Arena, reps_arena: Arena, library: Path, limits: Limits,
    env: Mapping[str, str], gpu: bool, isolation: str | None, bench_ok: Callable[[ChildReport], bool] = lambda r: True,
    plan: PlanReps = lambda i, w: [], flush: Flush = lambda i, r: None,
    after_done: AfterDone = lambda i, r: None, before_go: BeforeGo = lambda i, r: None, settle: bool = False,
    batch: int = 1,
) -> ChildReport:
    """Start a runner child on request, hold the conversation, end its whole tree; what it claimed.

    settle: before staging each repetition, wait until the tree is idle (the parent stages inputs between
    repetitions, cpu): CPU used from then to `go` is off the clock (offclock.py).
    batch: repetitions one `go` starts back to back (timing.py, "Batches"); 1 on cpu, where the parent stages
    each repetition's input and flushes its caches between them."""
    report = ChildReport()
    parent, child = control_pair()
    lib_fd = _open_library(library)
    extra = {**env, "PYTHONPATH": os.pathsep.join(runner_pythonpath()), "CUPY_CACHE_DIR": "/tmp/cupy",
             "PYTHONDONTWRITEBYTECODE": "1", "OPENBLAS_NUM_THREADS": "1"}  # the runner calls no BLAS: numpy's would
    # otherwise start a thread per core in every child, spinning beside the kernel (a fifth of a demo run's CPU)
    process = SandboxProcess(
        [sys.executable, "-s", "-m", "szagents.backends.child.runner"], limits=limits, isolation=isolation,
        spec=SandboxSpec(python=True, gpu=gpu), cwd=Path("/tmp"), env=extra,
        fd_map={CONTROL_FD: child.fileno(), ARENA_FD: arena.fd, LIBRARY_FD: lib_fd, REPS_FD: reps_arena.fd},
    )
    try:
        process.start()
        child.close()
        ch = Channel(parent, process.deadline())
        cpu = process.tree_cpu()
        report.cpu_source = cpu.source
        try:
            _talk(ch, report, request, bench_ok, plan, reps_arena, flush, after_done, before_go, CpuMeter(cpu, settle),
                  spin=gpu, batch=batch)  # a GPU call is tens of microseconds: wait for `done` awake (a cpu kernel needs the core)
        except ChildGone as gone:
            report.gone, report.timed_out = True, gone.timed_out
        except ProtocolBreak as broke:
            report.broke = f"the kernel's process broke the harness protocol ({broke})"
        except ChildFault as fault:
            report.gone, report.fault = True, str(fault)
        report.phase = ch.phase
        # A child that finished (or broke the protocol, or ran out of time) has nothing left to do: end it
        # now rather than wait for its interpreter's teardown. One that left on its own keeps its status.
        report.outcome = process.finish(kill=not report.gone or report.timed_out)
    finally:
        parent.close()
        child.close()
        os.close(lib_fd)
    if report.outcome is not None and report.outcome.timed_out:
        report.timed_out = True
    return report


def _open_library(path: Path) -> int:
    """A read-only descriptor of the built library (never through a link)."""
    return os.open(path, os.O_RDONLY | os.O_NOFOLLOW)


def ended(report: ChildReport, limits: Limits) -> Failure | None:
    """How a child that did not finish ended: abi_error, timeout or crash, with where."""
    where = f" during {report.phase}" if report.phase else ""
    outcome = report.outcome
    if report.abi_error is not None:
        return Failure("abi_error", f"the kernel library could not be loaded: {report.abi_error}")
    if report.timed_out:
        return Failure("timeout", f"no result after {limits.wall_seconds:g} s{where}")
    if outcome is not None and outcome.out_of_memory:
        return Failure("crash", f"the kernel's processes hit the sandbox memory cap{where}")
    if report.fault is not None:
        return Failure("crash", f"device error{where}: {report.fault.strip().splitlines()[-1][:300]}")
    if report.broke is not None:
        return Failure("crash", report.broke + where)
    if outcome is not None and outcome.signal:
        return Failure("crash", f"killed by {outcome.signal}{where}")
    if report.gone:
        code = outcome.returncode if outcome is not None else None
        return Failure("crash", f"process exited with status {code}{where} without a result")
    return None
