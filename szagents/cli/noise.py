"""Warn when a benchmark's timed repetitions spread too much for its numbers to be trusted."""

from __future__ import annotations

from rich.console import Console

from szagents.backends.results import BenchmarkResult

__all__ = ["NOISY_CV", "noise_warnings", "print_noise_warnings"]

NOISY_CV = 0.10
"""Coefficient of variation (std / mean of the timed repetitions) above which a measurement is called noisy
(pyperf warns at the same 10 %)."""


def noise_warnings(result: BenchmarkResult, threshold: float = NOISY_CV) -> list[str]:
    """One line per case and direction whose CV exceeds threshold."""
    lines = []
    for case in result.cases:
        for name, timing in (("compression", case.compress), ("decompression", case.decompress)):
            if timing.cv is not None and timing.cv > threshold:
                lines.append(f"{case.dataset} {name}: the timed repetitions vary by {timing.cv:.0%} (CV, over "
                             f"{timing.repetitions} repetitions), above {threshold:.0%}")
    return lines


def print_noise_warnings(console: Console, result: BenchmarkResult, threshold: float = NOISY_CV) -> None:
    """Print the noise warnings, with what to do about them."""
    lines = noise_warnings(result, threshold)
    for line in lines:
        console.print(f"[yellow]warning:[/yellow] {line}", highlight=False)
    if lines:
        console.print("[yellow]warning:[/yellow] this machine is too noisy to trust these numbers: stop other work "
                      "on it (or pin the benchmark to idle cores) and measure again", highlight=False)
