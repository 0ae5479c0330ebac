"""The trusted side of a benchmark: distinct inputs per repetition, verification, bounded times.

Each benchmark case warms up on its base input; only then does the parent draw every
repetition's input (a rotation, a scale and sparse spikes of the field, see staging.py). On cpu the
parent writes a repetition's input (and poisons its output) only just before that repetition's
`go`, so no call can see, or work ahead on, an input it has not been given; every repetition's
output is copied the moment `done` arrives and verified after the run, and its input must come
back unchanged. On a GPU the child stages every repetition to the device before the first `go`,
and the parent verifies `verify_reps` repetitions it picks in secret. The decompressing child
decodes exactly the streams the timed compressions produced; the ratio is theirs. Times are
bounded by the parent's own clock (timing.py); the verdicts are in bench_verdicts.py.
"""

from __future__ import annotations

import math
import secrets
import threading
from typing import Any

import numpy as np

from szagents.backends.child import checks
from szagents.backends.child.arena import Arena
from szagents.backends.child.claims import Warm
from szagents.backends.child.device import HostDevice
from szagents.backends.child.orders import BenchCase, Regions
from szagents.backends.harness.bench_verdicts import BenchVerdicts
from szagents.backends.harness.conversation import ChildReport
from szagents.backends.harness.energy import EnergyMeter
from szagents.backends.harness.eviction import CacheEviction
from szagents.backends.harness.launch import Launch
from szagents.backends.harness.staging import Case, RepetitionPlan, repetition_input
from szagents.backends.harness.timing import claimed_number
from szagents.backends.protocol import BenchSettings

__all__ = ["BenchRun", "ARENA_BYTES"]

ARENA_BYTES = {"cpu": 1 << 30, "cuda": 8 << 30}  # repetitions' memory per direction, by device


class BenchRun(BenchVerdicts):
    """Benchmark cases of one evaluation: their arenas, repetition plans and hooks (verdicts: bench_verdicts.py)."""

    def __init__(self, launch: Launch, settings: BenchSettings, cases: list[Case]) -> None:
        self.launch, self.settings, self.cases = launch, settings, cases
        self.reps = {"compress": Arena().create(), "decompress": Arena().create()}
        self.plans: list[RepetitionPlan] = []
        self._rc: ChildReport | None = None
        self._host = HostDevice()  # the parent's description of this host (cpu)
        self.eviction = CacheEviction()  # the cpu cache flush, run from this (trusted) process
        self._verified = 0
        self._base_stats: dict[int, dict[str, float]] = {}
        self.chosen: list[list[int]] = []  # per case: repetitions to verify, drawn in secret with the plan
        self.snapshots: dict[tuple[str, int, int], np.ndarray] = {}  # (direction, case, rep) -> output right after done
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

    def requests(self, role: str) -> list[BenchCase]:
        """The benchmark cases of one direction, as its child is told them."""
        warmup, seconds = max(int(self.settings.warmup), 1), min(self.settings.warmup_seconds, self.settings.min_seconds)
        return [BenchCase(Regions(f"b{i}src", f"b{i}dst", self._base_bytes(i) if role == "decompress" else 0),
                          c.n, c.eb, c.capacity, warmup, seconds, self.settings.warmup_agreement)
                for i, c in enumerate(self.cases)]

    def flush(self, direction: str) -> Any:
        """flush hook: on cpu, evict repetition r's input and output from every cache (after before_go staged
        them, just before `go`); a GPU child flushes its own L2."""
        arena = self.reps[direction]

        def evict(i: int, r: int) -> None:
            self.eviction.evict(arena.view(f"b{i}r{r}src"), arena.view(f"b{i}r{r}dst"))
        return evict if self.launch.device == "cpu" else (lambda i, r: None)

    # ----- repetitions ---------------------------------------------------------------------
    def _count(self, warm: Warm, per_rep: int) -> int:
        claims = [c for c in map(claimed_number, warm.warm) if c is not None and c > 0]
        each = float(np.median(claims)) if claims else 1e-3
        wanted = math.ceil(self.settings.min_seconds / max(each, 1e-7))
        count = min(max(wanted, self.settings.min_reps), self.settings.max_reps)
        budget = ARENA_BYTES.get(self.launch.device, 1 << 30) // max(per_rep, 1)
        return max(min(count, budget), 2)

    def plan_compress(self, i: int, warm: Warm) -> list[Regions]:
        case, arena = self.cases[i], self.reps["compress"]
        count = self._count(warm, case.data.nbytes + case.capacity + checks.GUARD_BYTES)
        plan = RepetitionPlan.draw(count, case.n)
        self.plans.append(plan)
        self.chosen.append(list(range(count)) if self.reveal else  # cpu: every repetition
                           sorted(secrets.SystemRandom().sample(range(count), min(self.settings.verify_reps, count))))
        reps = [Regions(f"b{i}r{r}src", f"b{i}r{r}dst") for r in range(count)]
        for rep in reps:
            arena.add(rep.src, case.data.nbytes)
            arena.add(rep.dst, case.capacity + checks.GUARD_BYTES)
        arena.grow()
        for r, rep in enumerate(reps):
            if not self.reveal:
                repetition_input(case.data, plan, r, arena.view(rep.src, case.data.dtype), case.eb)
                arena.view(rep.dst)[case.capacity:] = checks.BYTE_POISON  # the guard; the rest is fresh pages
            else:  # all poisoned now, not at `go`: a fresh write would leave the output in the cache the flush misses
                arena.view(rep.dst)[:] = checks.BYTE_POISON
        return reps

    def plan_decompress(self, i: int, warm: Warm) -> list[Regions]:
        case, arena = self.cases[i], self.reps["decompress"]
        record = self._rc.benches[i]  # type: ignore[union-attr]
        reps = []
        for r, (rep, done) in enumerate(zip(record.reps, record.done)):
            self._streams[(i, r)] = (rep.dst, done.out_bytes)  # the stream repetition r's compression wrote
            reps.append(Regions(f"b{i}r{r}src", f"b{i}r{r}dst", done.out_bytes))
        for rep in reps:
            arena.add(rep.src, rep.size + checks.GUARD_BYTES)
            arena.add(rep.dst, (case.n + checks.GUARD_ELEMENTS) * case.data.itemsize)
        arena.grow()
        for r, rep in enumerate(reps):
            if not self.reveal:
                self._stage_stream(i, r, rep.src)
                arena.view(rep.dst, case.data.dtype)[case.n:] = checks.poisoned(np, checks.GUARD_ELEMENTS,
                                                                                case.data.dtype)
            else:
                checks.poison(arena.view(rep.dst, case.data.dtype))
        return reps

    def _stage_stream(self, i: int, r: int, src: str) -> None:
        """The decompression input of repetition r (region src): exactly the stream its compression produced,
        then poison."""
        region, size = self._streams[(i, r)]
        stream = self.reps["decompress"].view(src)
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
                self._stage_stream(i, r, f"b{i}r{r}src")
        return stage

    def snapshot(self, direction: str) -> Any:
        """after_done hook: copy a to-be-verified output as it is when `done` arrives (cpu: outputs live in
        the arena; every repetition is verified, so the pause before the next `go` says nothing about which).
        Work a kernel leaves running past its return shows up as a later change."""
        def take(i: int, r: int) -> None:
            if not self.reveal and i < len(self.plans) and r == len(self.plans[i].shifts) - 1:
                self._gpu_energy().stop((direction, i))
            if self.launch.device == "cpu" and i < len(self.chosen) and r in self.chosen[i]:
                # An array, not bytes: numpy's large allocations come in huge pages, a bytes object's in 4 KiB
                # ones (a 26 MB copy: 520 page faults and 7 ms against 6,300 and 14 ms, 2026-12-07).
                self.snapshots[(direction, i, r)] = self.reps[direction].view(f"b{i}r{r}dst").copy()
        return take

    def _gpu_energy(self) -> EnergyMeter:
        if self._energy is None:
            self._energy = EnergyMeter.for_gpu(self.launch.env)
        return self._energy

