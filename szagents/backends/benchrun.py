"""The trusted side of a benchmark: distinct inputs per repetition, verification, bounded times.

Each benchmark case warms up on its base input; only then does the parent draw every
repetition's input (a rotation, a scale and sparse spikes of the field, see staging.py). On cpu the
parent writes a repetition's input (and poisons its output) only just before that repetition's
`go`, so no call can see, or work ahead on, an input it has not been given; every repetition's
output is copied the moment `done` arrives and verified after the run, and its input must come
back unchanged. On a GPU the child stages every repetition to the device before the first `go`,
and the parent verifies `verify_reps` repetitions it picks in secret. The decompressing child
decodes exactly the streams the timed compressions produced; the ratio is theirs. Times are
bounded by the parent's own clock (timing.py).
"""

from __future__ import annotations

import math
import secrets
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from szagents.backends import checks
from szagents.backends.arena import Arena
from szagents.backends.conversation import BenchRecord, ChildReport, ended
from szagents.backends.device import HostDevice
from szagents.backends.energy import EnergyMeter
from szagents.backends.offclock import case_evasion, off_clock
from szagents.backends.protocol import BenchSettings
from szagents.backends.results import BenchmarkCase, BenchmarkResult, Environment, Timing
from szagents.backends.staging import Case, RepetitionPlan, repetition_input
from szagents.backends.timing import PACKING, Allowance, claimed_number, timing_summary
from szagents.backends.verify import Failure, decode_failure, status_name

if TYPE_CHECKING:
    from szagents.backends.isolated import Launch

__all__ = ["BenchRun", "ARENA_BYTES"]

ARENA_BYTES = {"cpu": 1 << 30, "cuda": 8 << 30}  # repetitions' memory per direction, by device


class BenchRun:
    """Benchmark cases of one evaluation: their arenas, repetition plans and results."""

    def __init__(self, launch: Launch, settings: BenchSettings, cases: list[Case]) -> None:
        self.launch, self.settings, self.cases = launch, settings, cases
        self.reps = {"compress": Arena().create(), "decompress": Arena().create()}
        self.plans: list[RepetitionPlan] = []
        self._rc: ChildReport | None = None
        self._host = HostDevice()  # its cache flush, run from this (trusted) process on cpu
        self._verified = 0
        self._base_stats: dict[int, dict[str, float]] = {}
        self.chosen: list[list[int]] = []  # per case: repetitions to verify, drawn in secret with the plan
        self.snapshots: dict[tuple[str, int, int], bytes] = {}  # (direction, case, rep) -> output right after done
        self.reveal = launch.device == "cpu"  # inputs written just before each `go` (the child reads the arena)
        self._streams: dict[tuple[int, int], tuple[str, int]] = {}  # (case, rep) -> compress output region, size
        self._energy: EnergyMeter | None = None  # on a GPU: NVML's counter around each case's timed repetitions

    def close(self) -> None:
        """Release the repetitions' memory (gigabytes: unmapped on a thread, the result need not wait)."""
        arenas = list(self.reps.values())
        threading.Thread(target=lambda: [a.close() for a in arenas], daemon=True).start()

    # ----- layout --------------------------------------------------------------------------
    def add_base(self, arena: Arena) -> None:
        for i, case in enumerate(self.cases):
            arena.add(f"b{i}src", case.data.nbytes)
            arena.add(f"b{i}dst", case.capacity + checks.GUARD_BYTES)

    def fill_base(self, arena: Arena) -> None:
        for i, case in enumerate(self.cases):
            arena.view(f"b{i}src")[:] = case.data.view(np.uint8)
            arena.view(f"b{i}dst")[:] = checks.BYTE_POISON

    def _base_bytes(self, i: int) -> int:
        record = self._rc.benches[i] if self._rc and len(self._rc.benches) > i else None
        value = record.warm.get("out_bytes") if record else None
        return value if isinstance(value, int) and 0 < value <= self.cases[i].capacity else 0

    def add_decode_base(self, rc: ChildReport, arena: Arena) -> None:
        self._rc = rc
        for i, case in enumerate(self.cases):
            arena.add(f"b{i}src", self._base_bytes(i) + checks.GUARD_BYTES)
            arena.add(f"b{i}dst", (case.n + checks.GUARD_ELEMENTS) * case.data.itemsize)

    def fill_decode_base(self, c_arena: Arena, arena: Arena) -> None:
        for i, case in enumerate(self.cases):
            nbytes = self._base_bytes(i)
            arena.view(f"b{i}src")[:nbytes] = c_arena.view(f"b{i}dst")[:nbytes]
            arena.view(f"b{i}src")[nbytes:] = checks.BYTE_POISON
            arena.view(f"b{i}dst", case.data.dtype)[:] = checks.poisoned(np, case.n + checks.GUARD_ELEMENTS, case.data.dtype)

    def requests(self, role: str) -> list[dict[str, Any]]:
        base = [{"src": f"b{i}src", "dst": f"b{i}dst"} for i in range(len(self.cases))]
        if role == "decompress":
            base = [{**b, "size": self._base_bytes(i)} for i, b in enumerate(base)]
        warm = {"warmup": max(int(self.settings.warmup), 1),
                "warmup_seconds": min(self.settings.warmup_seconds, self.settings.min_seconds),
                "warmup_agreement": self.settings.warmup_agreement}
        return [{"base": b, "n": c.n, "eb": c.eb, "capacity": c.capacity, **warm} for b, c in zip(base, self.cases)]

    def flush(self) -> None:
        """cpu: flush the last-level cache from this (trusted) process; a GPU child flushes its own L2."""
        if self.launch.device == "cpu":
            self._host.flush_cache()

    # ----- repetitions ---------------------------------------------------------------------
    def _count(self, warm: dict[str, Any], per_rep: int) -> int:
        listed = warm.get("warm") if isinstance(warm.get("warm"), list) else []
        claims = [c for c in map(claimed_number, listed) if c is not None and c > 0]
        each = float(np.median(claims)) if claims else 1e-3
        wanted = math.ceil(self.settings.min_seconds / max(each, 1e-7))
        count = min(max(wanted, self.settings.min_reps), self.settings.max_reps)
        budget = ARENA_BYTES.get(self.launch.device, 1 << 30) // max(per_rep, 1)
        return max(min(count, budget), 2)

    def plan_compress(self, i: int, warm: dict[str, Any]) -> list[dict[str, Any]]:
        case, arena = self.cases[i], self.reps["compress"]
        count = self._count(warm, case.data.nbytes + case.capacity + checks.GUARD_BYTES)
        plan = RepetitionPlan.draw(count, case.n)
        self.plans.append(plan)
        self.chosen.append(list(range(count)) if self.reveal else  # cpu: every repetition
                           sorted(secrets.SystemRandom().sample(range(count), min(self.settings.verify_reps, count))))
        reps = [{"src": f"b{i}r{r}src", "dst": f"b{i}r{r}dst"} for r in range(count)]
        for rep in reps:
            arena.add(rep["src"], case.data.nbytes)
            arena.add(rep["dst"], case.capacity + checks.GUARD_BYTES)
        arena.grow()
        for r, rep in enumerate(reps):
            if not self.reveal:
                repetition_input(case.data, plan, r, arena.view(rep["src"], case.data.dtype), case.eb)
                arena.view(rep["dst"])[case.capacity:] = checks.BYTE_POISON  # the guard; the rest is fresh pages
            else:  # all poisoned now, not at `go`: a fresh write would leave the output in the cache the flush misses
                arena.view(rep["dst"])[:] = checks.BYTE_POISON
        return reps

    def plan_decompress(self, i: int, warm: dict[str, Any]) -> list[dict[str, Any]]:
        case, arena, source = self.cases[i], self.reps["decompress"], self.reps["compress"]
        record = self._rc.benches[i]  # type: ignore[union-attr]
        reps = [{"src": f"b{i}r{r}src", "dst": f"b{i}r{r}dst", "size": int(done["out_bytes"]),
                 "stream": rep["dst"]} for r, (rep, done) in enumerate(zip(record.reps, record.done))]
        for rep in reps:
            arena.add(rep["src"], rep["size"] + checks.GUARD_BYTES)
            arena.add(rep["dst"], (case.n + checks.GUARD_ELEMENTS) * case.data.itemsize)
        arena.grow()
        for r, rep in enumerate(reps):
            self._streams[(i, r)] = (rep.pop("stream"), rep["size"])
            if not self.reveal:
                self._stage_stream(i, r, rep)
                arena.view(rep["dst"], case.data.dtype)[case.n:] = checks.poisoned(np, checks.GUARD_ELEMENTS,
                                                                                    case.data.dtype)
            else:
                checks.poison(arena.view(rep["dst"], case.data.dtype))
        return reps

    def _stage_stream(self, i: int, r: int, rep: dict[str, Any]) -> None:
        """The decompression input of repetition r: exactly the stream its compression produced, then poison."""
        region, size = self._streams[(i, r)]
        stream = self.reps["decompress"].view(rep["src"])
        stream[:size] = self.reps["compress"].view(region)[:size]
        stream[size:] = checks.BYTE_POISON

    def before_go(self, direction: str) -> Any:
        """before_go hook (cpu): write repetition r's input just before its cache flush and `go` (its output
        was poisoned when the repetitions were laid out)."""
        def stage(i: int, r: int) -> None:
            if not self.reveal:
                if r == 0:
                    self._gpu_energy().start((direction, i))
                return
            case = self.cases[i]
            if direction == "compress":
                repetition_input(case.data, self.plans[i], r, self.reps["compress"].view(f"b{i}r{r}src", case.data.dtype),
                                 case.eb)
            else:
                self._stage_stream(i, r, {"src": f"b{i}r{r}src"})
        return stage

    def snapshot(self, direction: str) -> Any:
        """after_done hook: copy a to-be-verified output as it is when `done` arrives (cpu: outputs live in
        the arena; every repetition is verified, so the pause before the next `go` says nothing about which).
        Work a kernel leaves running past its return shows up as a later change."""
        def take(i: int, r: int) -> None:
            if not self.reveal and i < len(self.plans) and r == len(self.plans[i].shifts) - 1:
                self._gpu_energy().stop((direction, i))
            if self.launch.device == "cpu" and i < len(self.chosen) and r in self.chosen[i]:
                self.snapshots[(direction, i, r)] = self.reps[direction].view(f"b{i}r{r}dst").tobytes()
        return take

    def _gpu_energy(self) -> EnergyMeter:
        if self._energy is None:
            self._energy = EnergyMeter.for_gpu(self.launch.env)
        return self._energy

    # ----- verdicts ------------------------------------------------------------------------
    def compress_ok(self, rc: ChildReport) -> bool:
        """Did every case's compression finish with plausible claims (so decompression has inputs)?"""
        return len(rc.benches) == len(self.cases) and all(
            self._compress_claims(i, rc.benches[i]) is None for i in range(len(self.cases)))

    def _compress_claims(self, i: int, record: BenchRecord) -> Failure | None:
        case, base = self.cases[i], self._base_bytes(i)
        if record.warm.get("status") != 0 or not base:
            return Failure("error_status" if record.warm.get("status") != 0 else "size_error",
                           f"sz_compress failed its warm-up on {case.dataset} (status {record.warm.get('status')}, "
                           f"out_bytes {record.warm.get('out_bytes')})")
        if len(record.done) != len(record.reps) or not record.reps:
            gone = ended(self._rc, self.launch.limits) if self._rc else None
            return gone or Failure("crash", f"compression of {case.dataset} stopped before its repetitions finished")
        for r, done in enumerate(record.done):
            status, nbytes = done.get("status"), done.get("out_bytes")
            if status != 0:
                return Failure("error_status", f"sz_compress returned {status_name(status if isinstance(status, int) else -1)} "
                               f"in timed repetition {r}")
            if not isinstance(nbytes, int) or not 0 < nbytes <= case.capacity:
                return Failure("size_error", f"sz_compress reported out_bytes={nbytes} in timed repetition {r}")
            if not base / 2 <= nbytes <= base * 2:
                return Failure("cheat_detected", f"timed repetition {r} reported a {nbytes}-byte stream for an input "
                               f"like the warm-up's, whose stream had {base} bytes")
        return None

    def result(self, rc: ChildReport, rd: ChildReport, d_arena: Arena, common: dict[str, Any]) -> BenchmarkResult:
        """The benchmark verdict and numbers; any failure of any case makes the whole result fail."""
        cases, environment = [], None
        for i, case in enumerate(self.cases):
            failure = None
            if len(rc.benches) <= i:
                failure = ended(rc, self.launch.limits) or Failure("crash", "compression stopped early")
            failure = failure or self._compress_claims(i, rc.benches[i])
            if failure is None and (len(rd.benches) <= i or len(rd.benches[i].done) != len(rd.benches[i].reps)):
                failure = ended(rd, self.launch.limits) or Failure("crash", "decompression stopped early")
            if failure is None:  # work off the clock explains whatever else looks wrong: said first
                failure = self.trace_failure("compress", rc.benches[i]) or self.trace_failure("decompress", rd.benches[i])
            failure = failure or self._verify(i, rc.benches[i], rd.benches[i], d_arena)
            if failure is None and self.reveal:  # cuda stages nothing between repetitions: reported, not judged
                failure = case_evasion(rc.benches[i].cpu, rd.benches[i].cpu)
            if failure is not None:
                return BenchmarkResult(verdict=failure.verdict, detail=f"[{case.dataset}] {failure.detail}",
                                       phase=rd.phase or rc.phase, **common)
            cases.append(self._case(i, rc, rd, d_arena))
            environment = environment or self._environment(rc.benches[i].environment)
        return BenchmarkResult(verdict="ok", cases=cases, environment=environment, **common)

    def _verify(self, i: int, crec: BenchRecord, drec: BenchRecord, d_arena: Arena) -> Failure | None:
        case = self.cases[i]
        if drec.warm.get("status") != 0:
            return Failure("error_status", f"sz_decompress failed its warm-up (status {drec.warm.get('status')})")
        self._base_stats[i] = {}
        base = decode_failure({"status": 0, "settled": True}, d_arena.view(f"b{i}dst", case.data.dtype), case.data,
                              case.eb, None, self._base_stats[i])
        if base is not None:
            return Failure(base.verdict, f"benchmark output of {case.dataset} is wrong: {base.detail}")
        for r, done in enumerate(drec.done):
            if done.get("status") != 0:
                return Failure("error_status", f"sz_decompress returned {done.get('status')} in timed repetition {r}")
        chosen = self.chosen[i]
        source, decoded = self.reps["compress"], self.reps["decompress"]
        for (direction, case_index, r), before in self.snapshots.items():
            if case_index == i and not np.array_equal(self.reps[direction].view(f"b{i}r{r}dst"),
                                                      np.frombuffer(before, np.uint8)):
                return Failure("cheat_detected", f"the output of timed repetition {r} changed after "
                               f"sz_{direction} returned: work continued outside the timed call")
        for r in chosen:
            if bool((source.view(crec.reps[r]["dst"])[case.capacity:] != checks.BYTE_POISON).any()):
                return Failure("size_error", f"sz_compress wrote past out_capacity in timed repetition {r}")
            expected = np.empty_like(case.data)
            repetition_input(case.data, self.plans[i], r, expected, case.eb)
            changed = self._inputs_changed(i, r, expected)
            if changed:
                return Failure("cheat_detected", f"timed repetition {r}: {changed}")
            failure = decode_failure(drec.done[r] | {"settled": True}, decoded.view(drec.reps[r]["dst"], case.data.dtype),
                                     expected, case.eb, None)
            if failure is not None:
                return Failure(failure.verdict, f"timed repetition {r} (checked at random after the run) is wrong: "
                               f"{failure.detail}", failure.violation)
        self._verified = len(chosen) + 1
        return None

    def fresh_decode_case(self, i: int, rc: ChildReport) -> tuple[Case, bytes]:
        """(a Case of timed repetition r's input, its stream) for one repetition r drawn in secret among the
        verified ones: decoded by a process that never saw the warm-up, a stream that leans on another call's
        state (a cached answer patched at a few places) fails."""
        case, record = self.cases[i], rc.benches[i]
        r = secrets.choice(self.chosen[i])
        expected = np.empty_like(case.data)
        repetition_input(case.data, self.plans[i], r, expected, case.eb)
        size = int(record.done[r]["out_bytes"])
        stream = self.reps["compress"].view(record.reps[r]["dst"])[:size].tobytes()
        return Case(f"{case.dataset} (timed repetition {r})", expected, case.eb, case.capacity, None, [expected]), stream

    def _inputs_changed(self, i: int, r: int, expected: np.ndarray) -> str | None:
        """cpu: did a call write its const input (its own, or the stream it decoded)?"""
        if not self.reveal:
            return None
        if not np.array_equal(self.reps["compress"].view(f"b{i}r{r}src", expected.dtype)[: expected.size].view(np.uint8),
                              expected.view(np.uint8)):
            return "sz_compress wrote into its const input"
        region, size = self._streams[(i, r)]
        if not np.array_equal(self.reps["decompress"].view(f"b{i}r{r}src")[:size], self.reps["compress"].view(region)[:size]):
            return "sz_decompress wrote into its const input stream"
        return None

    def _timed_bytes(self, i: int, crec: BenchRecord) -> int:
        """The compressed size of the timed calls: the median over the verified repetitions (the warm-up's,
        a different call, never stands in for theirs)."""
        sizes = [int(crec.done[r]["out_bytes"]) for r in self.chosen[i]]
        return int(np.median(sizes)) if sizes else self._base_bytes(i)

    def _case(self, i: int, rc: ChildReport, rd: ChildReport, d_arena: Arena) -> BenchmarkCase:
        case, crec, drec = self.cases[i], rc.benches[i], rd.benches[i]
        nbytes = self._timed_bytes(i, crec)
        decoded = d_arena.view(f"b{i}dst", case.data.dtype)[: case.n]
        comp = self._timing(crec, rc)
        decomp = self._timing(drec, rd)
        psnr, nrmse = checks.quality(np, case.data, decoded)
        bandwidth = self._environment(crec.environment).memory_bandwidth_gbps
        moved = case.data.nbytes + nbytes
        return BenchmarkCase(
            dataset=case.dataset, n=case.n, dtype=case.data.dtype.name, eb=case.eb, input_bytes=case.data.nbytes,
            compressed_bytes=nbytes, ratio=case.data.nbytes / nbytes, compress=comp, decompress=decomp,
            compress_gbps=case.data.nbytes / comp.median_seconds / 1e9 if comp.median_seconds > 0 else 0.0,
            decompress_gbps=case.data.nbytes / decomp.median_seconds / 1e9 if decomp.median_seconds > 0 else 0.0,
            psnr_db=psnr, nrmse=nrmse, max_error_over_eb=self._base_stats[i]["max_error_over_eb"],
            compress_bandwidth_fraction=moved / comp.median_seconds / 1e9 / bandwidth if bandwidth and comp.median_seconds else None,
            decompress_bandwidth_fraction=moved / decomp.median_seconds / 1e9 / bandwidth if bandwidth and decomp.median_seconds else None,
            **(self._energy.case_fields(i, crec.walls, drec.walls, case.data.nbytes) if self._energy else {}),
        )


    def _timing(self, record: BenchRecord, report: ChildReport) -> Timing:
        """Timing of one direction: the trace's spans where the child had one (GPU), else its own figures; the
        tree's CPU time on and off the clock."""
        trace = record.trace or {}
        spans = trace.get("spans") if trace.get("source") == "cupti" and isinstance(trace.get("spans"), list) else None
        gpu = self.launch.device != "cpu"
        warm = record.warm.get("warm")
        summary = timing_summary(record.walls, record.done, Allowance(report.null_walls), self._verified, spans,
                                 PACKING if gpu else None, len(warm) if isinstance(warm, list) else None)
        coverage = "host" if not gpu else "cupti" if spans is not None else "events"
        note = str(trace.get("reason", ""))[:300] or None if gpu and spans is None else None
        cpu = off_clock(record.cpu)
        return Timing(**summary, coverage=coverage, trace_note=note, **(cpu.timing_fields() if cpu is not None else {}))

    def trace_failure(self, direction: str, record: BenchRecord) -> Failure | None:
        """timing_evaded when the trace shows device work outside every call's window (off the clock)."""
        outside = (record.trace or {}).get("outside")
        if not isinstance(outside, dict) or not outside.get("count"):
            return None
        examples = outside.get("examples") if isinstance(outside.get("examples"), list) else []
        where = "; ".join(_describe_off_clock(e) for e in examples[:3] if isinstance(e, dict))
        seconds = claimed_number(outside.get("seconds")) or 0.0
        return Failure("timing_evaded", f"sz_{direction} left {outside.get('count')} piece(s) of device work "
                       f"({seconds * 1e6:.0f} us of device time) outside every timed call: {where}")

    def _environment(self, claim: dict[str, Any]) -> Environment:
        """Where the case ran: on cpu the parent's own description of this host (the child's claim is never
        used); on a GPU what the child says (device name and measured bandwidth: a claim)."""
        if self.launch.device != "cpu":
            return _environment(claim, self.launch.device)
        own = self._host.describe()
        own["omp_num_threads"] = self.launch.env.get("OMP_NUM_THREADS", own.get("omp_num_threads"))
        return _environment(own, "cpu")


def _describe_off_clock(example: dict[str, Any]) -> str:
    """One piece of off-the-clock device work, as the trace described it."""
    after, rep, duration = example.get("after_window_s"), example.get("repetition"), example.get("duration_s")
    call = "a warm-up call" if rep is None else f"timed repetition {rep}"
    if not isinstance(after, (int, float)) or isinstance(after, bool) or not math.isfinite(after):
        when = "before the first call"
    elif after < 0:
        when = f"left running past the end of {call}"
    else:
        when = f"started {after * 1e6:.0f} us after {call} had returned"
    length = claimed_number(duration) or 0.0
    return f"{str(example.get('kind', '?'))[:40]} on stream {str(example.get('stream'))[:20]} for {length * 1e6:.1f} us, {when}"


def _environment(claim: dict[str, Any], device: str) -> Environment:
    """Where the child says it ran (a description, not a measurement the verdicts use)."""
    fields = {k: claim.get(k) for k in ("device", "threads", "omp_num_threads", "memory_bandwidth_gbps")}
    try:
        return Environment(backend=device, **{k: v for k, v in fields.items() if v is not None})
    except ValueError:
        return Environment(backend=device, device="unknown")
