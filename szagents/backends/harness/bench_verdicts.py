"""The verdicts of a benchmark: plausible claims, verified repetitions, then each case's numbers.

A mixin of BenchRun (benchrun.py): it reads the arenas, repetition plans and snapshots BenchRun laid
out and recorded, and turns the children's claims into a BenchmarkResult. Any failure of any case
fails the whole result.
"""

from __future__ import annotations

import math
import secrets
from typing import Any

import numpy as np

from szagents.backends.child import checks
from szagents.backends.child.arena import Arena
from szagents.backends.child.claims import Machine, OffClockWork
from szagents.backends.child.device import HostDevice
from szagents.backends.harness.conversation import BenchRecord, ChildReport, ended
from szagents.backends.harness.energy import EnergyMeter
from szagents.backends.harness.eviction import CacheEviction
from szagents.backends.harness.launch import Launch
from szagents.backends.harness.offclock import case_evasion, off_clock
from szagents.backends.harness.staging import Case, RepetitionPlan, repetition_input
from szagents.backends.harness.timing import PACKING, Allowance, claimed_number, handshake_phases, timing_summary
from szagents.backends.harness.verify import Failure, decode_failure, status_name
from szagents.backends.results import BenchmarkCase, BenchmarkResult, Environment, Timing

__all__ = ["BenchVerdicts"]


class BenchVerdicts:
    """Verdicts and numbers of BenchRun's cases (the state below is BenchRun's)."""

    launch: Launch
    cases: list[Case]
    reps: dict[str, Arena]
    plans: list[RepetitionPlan]
    chosen: list[list[int]]
    snapshots: dict[tuple[str, int, int], np.ndarray]
    reveal: bool
    _rc: ChildReport | None
    _host: HostDevice
    eviction: CacheEviction
    _verified: int
    _base_stats: dict[int, dict[str, float]]
    _streams: dict[tuple[int, int], tuple[str, int]]
    _energy: EnergyMeter | None

    def _base_bytes(self, i: int) -> int:
        record = self._rc.benches[i] if self._rc and len(self._rc.benches) > i else None
        value = record.warm.out_bytes if record else 0
        return value if 0 < value <= self.cases[i].capacity else 0

    def compress_ok(self, rc: ChildReport) -> bool:
        """Did every case's compression finish with plausible claims (so decompression has inputs)?"""
        return len(rc.benches) == len(self.cases) and all(
            self._compress_claims(i, rc.benches[i]) is None for i in range(len(self.cases)))

    def _compress_claims(self, i: int, record: BenchRecord) -> Failure | None:
        case, base = self.cases[i], self._base_bytes(i)
        if record.warm.status != 0 or not base:
            return Failure("error_status" if record.warm.status != 0 else "size_error",
                           f"sz_compress failed its warm-up on {case.dataset} (status {record.warm.status}, "
                           f"out_bytes {record.warm.out_bytes})")
        if len(record.done) != len(record.reps) or not record.reps:
            gone = ended(self._rc, self.launch.limits) if self._rc else None
            return gone or Failure("crash", f"compression of {case.dataset} stopped before its repetitions finished")
        for r, done in enumerate(record.done):
            status, nbytes = done.status, done.out_bytes
            if status != 0:
                return Failure("error_status", f"sz_compress returned {status_name(status)} in timed repetition {r}")
            if not 0 < nbytes <= case.capacity:
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
        if drec.warm.status != 0:
            return Failure("error_status", f"sz_decompress failed its warm-up (status {drec.warm.status})")
        self._base_stats[i] = {}
        base = decode_failure(0, True, d_arena.view(f"b{i}dst", case.data.dtype), case.data, case.eb, None,
                              self._base_stats[i])
        if base is not None:
            return Failure(base.verdict, f"benchmark output of {case.dataset} is wrong: {base.detail}")
        for r, done in enumerate(drec.done):
            if done.status != 0:
                return Failure("error_status", f"sz_decompress returned {done.status} in timed repetition {r}")
        chosen = self.chosen[i]
        source, decoded = self.reps["compress"], self.reps["decompress"]
        for (direction, case_index, r), before in self.snapshots.items():
            if case_index == i and not np.array_equal(self.reps[direction].view(f"b{i}r{r}dst"), before):
                return Failure("cheat_detected", f"the output of timed repetition {r} changed after "
                               f"sz_{direction} returned: work continued outside the timed call")
        for r in chosen:
            if bool((source.view(crec.reps[r].dst)[case.capacity:] != checks.BYTE_POISON).any()):
                return Failure("size_error", f"sz_compress wrote past out_capacity in timed repetition {r}")
            expected = np.empty_like(case.data)
            repetition_input(case.data, self.plans[i], r, expected, case.eb)
            changed = self._inputs_changed(i, r, expected)
            if changed:
                return Failure("cheat_detected", f"timed repetition {r}: {changed}")
            failure = decode_failure(drec.done[r].status, True, decoded.view(drec.reps[r].dst, case.data.dtype),
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
        size = record.done[r].out_bytes
        stream = self.reps["compress"].view(record.reps[r].dst)[:size].tobytes()
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
        sizes = [crec.done[r].out_bytes for r in self.chosen[i]]
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
        trace = record.trace
        spans = trace.spans if trace is not None and trace.source == "cupti" else None
        gpu = self.launch.device != "cpu"
        allowance = Allowance(report.null_walls, report.null_batch_walls, report.null_batch)
        summary = timing_summary(record.walls, record.done, allowance, self._verified, spans,
                                 PACKING if gpu else None, len(record.warm.warm), record.batches)
        coverage = "host" if not gpu else "cupti" if spans is not None else "events"
        reason = (trace.reason if trace is not None else None) or ""
        note = reason[:300] or None if gpu and spans is None else None
        cpu = off_clock(record.cpu)
        calls = handshake_phases(record.sent, record.walls, record.done, record.batches)
        null = handshake_phases(report.null_sent, report.null_walls, report.null_done)
        phases = {"calls": calls, "null": null} if calls is not None and null is not None else None
        return Timing(**summary, coverage=coverage, trace_note=note, phases_us=phases,
                      **(cpu.timing_fields() if cpu is not None else {}))

    def trace_failure(self, direction: str, record: BenchRecord) -> Failure | None:
        """timing_evaded when the trace shows device work outside every call's window (off the clock)."""
        outside = record.trace.outside if record.trace is not None else None
        if outside is None or not outside.count:
            return None
        where = "; ".join(_describe_off_clock(e) for e in outside.examples[:3])
        seconds = claimed_number(outside.seconds) or 0.0
        return Failure("timing_evaded", f"sz_{direction} left {outside.count} piece(s) of device work "
                       f"({seconds * 1e6:.0f} us of device time) outside every timed call: {where}")

    def _environment(self, claim: Machine) -> Environment:
        """Where the case ran: on cpu the parent's own description of this host (the child's claim is never
        used); on a GPU what the child says (device name and measured bandwidth: a claim)."""
        if self.launch.device != "cpu":
            return _environment(claim.to_wire(), self.launch.device)
        own = self._host.describe()
        own["omp_num_threads"] = self.launch.env.get("OMP_NUM_THREADS", own.get("omp_num_threads"))
        return _environment(own, "cpu").model_copy(update={"cache_flush": self.eviction.method})


def _describe_off_clock(example: OffClockWork) -> str:
    """One piece of off-the-clock device work, as the trace described it."""
    after, rep, duration = example.after_window_s, example.repetition, example.duration_s
    call = "a warm-up call" if rep is None else f"timed repetition {rep}"
    if after is None or not math.isfinite(after):
        when = "before the first call"
    elif after < 0:
        when = f"left running past the end of {call}"
    else:
        when = f"started {after * 1e6:.0f} us after {call} had returned"
    length = claimed_number(duration) or 0.0
    return f"{example.kind[:40]} on stream {str(example.stream)[:20]} for {length * 1e6:.1f} us, {when}"


def _environment(claim: dict[str, Any], device: str) -> Environment:
    """Where the child says it ran (a description, not a measurement the verdicts use)."""
    fields = {k: claim.get(k) for k in ("device", "threads", "omp_num_threads", "memory_bandwidth_gbps")}
    try:
        return Environment(backend=device, **{k: v for k, v in fields.items() if v is not None})
    except ValueError:
        return Environment(backend=device, device="unknown")
