"""Warn when a benchmark's timed repetitions spread too much for its numbers to be trusted, and say why.

The spread of the reported times (the kernel's own per-call figures: CUPTI spans or CUDA events on a GPU,
the host clock on cpu) is told apart from the spread of the parent's go -> done handshakes (host-side
noise, which the median-based floor keeps out of the figures). A busy host is blamed only when this
machine's load says it is busy.
"""

from __future__ import annotations

import os

from rich.console import Console

from szagents.backends.results import BenchmarkResult, Timing

__all__ = ["NOISY_CV", "noise_warnings", "print_noise_warnings", "busy_host"]

NOISY_CV = 0.10
"""Coefficient of variation (std / mean of the timed repetitions) above which a measurement is called noisy
(pyperf warns at the same 10 %)."""

BUSY_LOAD = 0.5
"""Load average per core (over the last minute) above which this host counts as busy."""


def busy_host() -> tuple[bool, str]:
    """(is this host busy, its load in words)."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return False, "load unknown"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return load / cores > BUSY_LOAD, f"load {load:.1f} on {cores} cores"


def _cause(timing: Timing, busy: bool, load: str) -> str:
    if timing.coverage in ("cupti", "events"):
        return ("the spread is on the GPU itself (device times, not this host's): another process on the GPU, "
                "its clocks or power state, or the kernel's own data-dependent work")
    if busy:
        return f"this host is busy ({load}): stop other work on it (or pin the benchmark to idle cores)"
    return f"this host is idle ({load}), so the spread is the kernel's own (threads, data-dependent work)"


def noise_warnings(result: BenchmarkResult, threshold: float = NOISY_CV) -> list[str]:
    """One line per case and direction whose CV exceeds threshold, with its likely cause."""
    busy, load = busy_host()
    lines = []
    for case in result.cases:
        for name, timing in (("compression", case.compress), ("decompression", case.decompress)):
            if timing.cv is not None and timing.cv > threshold:
                lines.append(f"{case.dataset} {name}: the timed repetitions vary by {timing.cv:.0%} (CV, over "
                             f"{timing.repetitions} repetitions), above {threshold:.0%}: {_cause(timing, busy, load)}")
    return lines


def print_noise_warnings(console: Console, result: BenchmarkResult, threshold: float = NOISY_CV) -> None:
    """Print the noise warnings, each with what to do about it."""
    for line in noise_warnings(result, threshold):
        console.print(f"[yellow]warning:[/yellow] {line}", highlight=False)
