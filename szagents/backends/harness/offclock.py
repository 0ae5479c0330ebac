"""CPU the kernel's processes use outside the timed calls: sampled, charged and judged by the trusted parent.

The parent reads the CPU time of the child's whole sandboxed tree (sandbox/treecpu.py: its cgroup's
accounting, or its processes' CPU clocks) at `ready`, at each `go` and at each `done`. On cpu the
parent stages the next repetition's input and flushes the cache between a `done` and the next `go`:
a thread that works meanwhile (computing ahead on the staged input) is off the clock. So before
staging, the parent waits until none of the tree's threads is running (at most SETTLE_SECONDS) and
reads the CPU time again, which splits each gap in two:

- after the call, from `done` (or `ready`) until the tree is idle: OpenMP workers spin-wait after a
  parallel region (libgomp's GOMP_SPINCOUNT). Measured on a 2-core AMD EPYC: 4-8 ms of CPU per
  worker after each parallel region, against 0.6-15 ms for the region itself; through the harness,
  3-6 ms per repetition for the SZp and SZx references (0.01-0.02 ms for serial.c). No tolerance on
  this part could both pass honest OpenMP kernels and catch a call's worth of work, and no
  repetition's input exists yet while it runs: reported (after_call_cpu_seconds), never charged.
- off the clock, from the idle tree to `go`, while the parent stages the input and flushes the cache:
  an honest tree sleeps through it. Measured (cgroup v1 cpuacct and process clocks; the SZp and SZx
  references and serial.c on a 2M-value random walk and on `climate`; 5-40 repetitions; alone and
  beside two CPU hogs, about 300 directions in all): 0.000 ms in all but two, both beside the hogs:
  0.074 ms in a window staged while a thread still ran after the wait (the waits otherwise took at
  most 28.5 ms), and once 2.0 ms in one window (in a test run that did not record whether its wait
  had ended in time; hence FORGIVEN_BUSY_FRACTION). The tolerance, ABS_SECONDS_PER_REP
  per repetition or REL_OF_ON_CLOCK of the CPU used on the clock (whichever is larger: 1.0-1.6 ms for
  5-8 repetitions), leaves 13x the 0.074 ms. A thread that quantizes each staged input ahead
  (tests/backends/adversarial_trust/stage_watch.c) was charged 5.3-72.7 ms in 5-9 repetitions.

Cgroup accounting charges a running thread at scheduler ticks: a thread still running at `go` may
have up to one tick (4 ms at HZ=250) of its off-clock work counted on the clock instead. On cuda the
child stages every input before `ready` and the parent stages nothing between repetitions: there is
no wait, the whole gap is off the clock, and the figures are reported but not judged here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from szagents.backends.sandbox import TreeCpu
from szagents.backends.harness.verify import Failure

__all__ = ["CpuMarks", "CpuMeter", "OffClock", "off_clock", "evasion", "case_evasion", "SETTLE_SECONDS",
           "ABS_SECONDS_PER_REP", "REL_OF_ON_CLOCK"]

SETTLE_SECONDS = 0.1  # at most this long waiting for the tree to go idle before staging a repetition
# Where the tree is still busy after SETTLE_SECONDS in at most this fraction of a case's repetitions, those
# windows are not charged (an honest OpenMP spin beside CPU hogs once left 0.074 ms, once 2.0 ms): work ahead in
# so few repetitions cannot move the median time. Busy more often, every window is charged.
FORGIVEN_BUSY_FRACTION = 0.25
ABS_SECONDS_PER_REP = 0.0002
REL_OF_ON_CLOCK = 0.02


@dataclass
class CpuMarks:
    """The tree's CPU seconds at each mark of one benchmark case (None where it could not be read)."""

    source: str = ""
    ready: float | None = None
    idle: list[float | None] = field(default_factory=list)  # when staging repetition r began
    go: list[float | None] = field(default_factory=list)
    done: list[float | None] = field(default_factory=list)
    settled: list[bool] = field(default_factory=list)  # did the tree go idle before that staging


class CpuMeter:
    """Reads the tree's CPU time into a case's marks; with settle, waits for the tree to go idle before staging."""

    def __init__(self, cpu: TreeCpu | None, settle: bool) -> None:
        self.cpu, self.settle = cpu, settle

    def read(self) -> float | None:
        return self.cpu.seconds() if self.cpu is not None else None

    def idle(self, marks: CpuMarks) -> None:
        """Before staging: wait (bounded) until none of the tree's threads runs, then read its CPU time."""
        settled = True
        if self.cpu is not None and self.settle:
            deadline = time.perf_counter() + SETTLE_SECONDS
            while settled and self.cpu.busy_threads():
                settled = time.perf_counter() < deadline
                time.sleep(0.0002)
        marks.settled.append(settled)
        marks.idle.append(self.read())


@dataclass(frozen=True)
class OffClock:
    """CPU seconds inside the timed calls, after them until idle, and off the clock, summed over repetitions."""

    on_clock_seconds: float
    after_call_seconds: float
    off_clock_seconds: float
    windows: tuple[float, ...]  # off-clock seconds before each repetition's `go`
    source: str
    busy_windows: int = 0  # windows whose staging began with a thread still running (after SETTLE_SECONDS)

    def timing_fields(self) -> dict[str, Any]:
        """The Timing fields these figures fill."""
        return {"on_clock_cpu_seconds": self.on_clock_seconds, "after_call_cpu_seconds": self.after_call_seconds,
                "off_clock_cpu_seconds": self.off_clock_seconds, "cpu_accounting": self.source}

    @property
    def allowed_seconds(self) -> float:
        """The tolerance: an absolute floor per repetition, or a fraction of the CPU used on the clock."""
        return max(ABS_SECONDS_PER_REP * len(self.windows), REL_OF_ON_CLOCK * self.on_clock_seconds)


def _delta(later: float | None, earlier: float | None) -> float:
    return max(later - earlier, 0.0) if later is not None and earlier is not None else 0.0


def off_clock(marks: CpuMarks) -> OffClock | None:
    """The three sums of one direction of one case; None when the tree's CPU could not be read."""
    count = len(marks.done)
    if not count or marks.ready is None or None in (*marks.go, *marks.done) or len(marks.go) != count:
        return None
    before = [marks.ready, *marks.done[:-1]]  # where each repetition's gap began
    idle = [i if i is not None else b for i, b in zip(marks.idle, before)] if len(marks.idle) == count else before
    gaps = [_delta(g, i) for g, i in zip(marks.go, idle)]
    settled = [*marks.settled[:count], *[True] * (count - len(marks.settled))]
    busy = settled.count(False)
    forgive = busy <= FORGIVEN_BUSY_FRACTION * count  # a loaded machine's late spin; a busy thread every time is not
    windows = tuple(0.0 if forgive and not ok else w for w, ok in zip(gaps, settled))
    return OffClock(on_clock_seconds=sum(_delta(d, g) for d, g in zip(marks.done, marks.go)),
                    after_call_seconds=sum(_delta(i, b) for i, b in zip(idle, before)) + sum(gaps) - sum(windows),
                    off_clock_seconds=sum(windows), windows=windows, source=marks.source, busy_windows=busy)


def _where(windows: tuple[float, ...]) -> str:
    """How much ran before the first go and between repetitions (and where the most did)."""
    first, rest = windows[0], windows[1:]
    parts = [f"{first * 1e3:.1f} ms before the first go"]
    if rest:
        worst = max(range(len(rest)), key=rest.__getitem__)
        parts.append(f"{sum(rest) * 1e3:.1f} ms between timed repetitions (the most, {rest[worst] * 1e3:.1f} ms, "
                     f"between {worst} and {worst + 1})")
    return ", ".join(parts)


def _busy(count: int) -> str:
    return f"; {count} times a thread still ran {SETTLE_SECONDS * 1e3:.0f} ms after a call returned" if count else ""


def evasion(direction: str, figures: OffClock | None) -> Failure | None:
    """timing_evaded when the tree used more CPU off the clock than the tolerance allows."""
    if figures is None or figures.off_clock_seconds <= figures.allowed_seconds:
        return None
    return Failure("timing_evaded", (
        f"sz_{direction}'s processes used {figures.off_clock_seconds * 1e3:.1f} ms of CPU outside the timed calls "
        f"while the parent staged inputs and flushed the cache ({_where(figures.windows)}), against "
        f"{figures.on_clock_seconds * 1e3:.1f} ms inside them (allowed: {figures.allowed_seconds * 1e3:.1f} ms; "
        f"{figures.source}{_busy(figures.busy_windows)}): work done between calls, such as a thread computing ahead "
        f"on a staged input, is not on the clock. Do each call's work inside the call"))


def case_evasion(compress: CpuMarks, decompress: CpuMarks) -> Failure | None:
    """The first direction of a case whose processes worked off the clock beyond the tolerance."""
    return evasion("compress", off_clock(compress)) or evasion("decompress", off_clock(decompress))
