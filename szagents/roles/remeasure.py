"""Benchmark stored revisions' files again, interleaved, through the task's backend."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from statistics import geometric_mean
from typing import Literal

from szagents.backends.results import BenchmarkResult, Verdict
from szagents.roles.noise import Comparison, decide
from szagents.tasks.integrity import Objective, objective_value
from szagents.tools.context import ToolContext
from szagents.workspace.layout import target_sources
from szagents.workspace.revisions import files_sha256
from szagents.workspace.workspace import Workspace

__all__ = ["Measure", "files_benchmark", "interleaved"]

Measure = Callable[[Mapping[str, bytes]], BenchmarkResult]
"""Benchmark a set of source files (a stored revision's) on the task's benchmark suite."""


def _materialize(folder: Path, files: Mapping[str, bytes]) -> Path:
    """files in folder/<hash>/ (written once, renamed into place so a half-written copy is never used)."""
    target = folder / files_sha256(files)[:16]
    if target.is_dir():
        return target
    staging = folder / f".{target.name}.{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    for name, data in files.items():
        path = staging / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    os.replace(staging, target)
    return target


def files_benchmark(tool_ctx: ToolContext, folder: Path) -> Measure:
    """A Measure that compiles files (the build cache makes a repeat free) and runs the backend's benchmark."""

    def measure(files: Mapping[str, bytes]) -> BenchmarkResult:
        root = _materialize(folder, files)
        sources = target_sources(tool_ctx.task, Workspace(root))
        build = tool_ctx.backend.compile(sources, tool_ctx.spec, root)
        if not build.ok:
            return BenchmarkResult(verdict=Verdict.compile_error, detail="the stored files no longer compile")
        return tool_ctx.backend.benchmark(build, tool_ctx.spec, tool_ctx.benchmark_problems, root,
                                          tool_ctx.bench_settings)

    return measure


def _value(result: BenchmarkResult, objective: Objective) -> float:
    """The objective of one benchmark (geometric mean over cases); NaN when it failed."""
    if not result.ok or not result.cases:
        return float("nan")
    return objective_value(objective, geometric_mean([c.compress_gbps for c in result.cases]),
                           geometric_mean([c.decompress_gbps for c in result.cases]))


def interleaved(
    measure: Measure, files: tuple[Mapping[str, bytes], Mapping[str, bytes]], numbers: tuple[int, int], *,
    objective: Objective, question: Literal["better", "worse"], rounds: int, improvement: float,
    regression: float, alpha: float, extended_rounds: int = 0, extended_alpha: float = 0.01,
) -> Comparison:
    """Measure baseline and candidate files, rounds each, in the order A B B A A B ... and decide (see `roles.noise`).

    The order alternates so that a machine getting steadily faster or slower favours neither side.
    When the first rounds are inconclusive but their medians already differ by the margin in the
    direction asked (one disturbed round breaks a 3-against-3 separation), the rounds continue up to
    extended_rounds each and the whole sample is tested again at extended_alpha (a second look).
    """
    start = time.perf_counter()
    values: tuple[list[float], list[float]] = ([], [])

    def run(upto: int) -> Comparison:
        for index in range(len(values[0]), upto):
            for side in ((0, 1) if index % 2 == 0 else (1, 0)):
                values[side].append(_value(measure(files[side]), objective))
        return decide(numbers[0], numbers[1], objective.value, question, values[0], values[1],
                      improvement=improvement, regression=regression, alpha=alpha if upto == rounds else extended_alpha)

    comparison = run(rounds)
    if extended_rounds > rounds and comparison.decision == "within_noise" and _beyond_margin(comparison, improvement,
                                                                                           regression):
        comparison = run(extended_rounds)
    return comparison.model_copy(update={"seconds": time.perf_counter() - start})


def _beyond_margin(comparison: Comparison, improvement: float, regression: float) -> bool:
    """The medians differ by the margin in the direction asked (only the rank test held the decision back)."""
    if comparison.question == "better":
        return comparison.change >= improvement
    return comparison.change <= -regression
