"""Compile, validate and (optionally) benchmark sources against a kernel's suites."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from szagents.backends.protocol import Backend, BenchSettings, KernelSpec, Problem
from szagents.backends.results import BenchmarkResult, CompileResult, ValidationResult
from szagents.tasks.datasets import get_dataset
from szagents.tasks.integrity import FloorCheck, case_ratios, check_floor
from szagents.tasks.slots import bench_slot
from szagents.tasks.task import KernelInfo, Suite

__all__ = ["Evaluation", "kernel_spec", "build_problems", "evaluate"]


@dataclass(frozen=True)
class Evaluation:
    """What one compile + validate (+ benchmark) produced."""

    build: CompileResult
    validation: ValidationResult | None
    benchmark: BenchmarkResult | None
    floor: FloorCheck | None = None  # the task's ratio floor, once the trusted side applied it

    @property
    def correct(self) -> bool:
        """Compiled, passed validation and (when applied) stayed at or above the ratio floor."""
        passed = self.build.ok and self.validation is not None and self.validation.ok
        return passed and (self.floor is None or self.floor.ok)

    def ratios(self) -> dict[str, float]:
        """Ratio per validation and benchmark case (see `integrity.case_ratios`)."""
        return case_ratios(self.validation, self.benchmark)

    def with_floor(self, floors: Mapping[str, float], min_ratio: float | None = None) -> Evaluation:
        """This evaluation with the ratio floor checked on every case that passed the harness."""
        if not (self.build.ok and self.validation is not None and self.validation.ok):
            return self
        return replace(self, floor=check_floor(self.ratios(), floors, min_ratio))


def kernel_spec(kernel: KernelInfo, variant: str | None = None, format_check: bool = False) -> KernelSpec:
    """The backend-facing description of a kernel variant."""
    _, chosen = kernel.variant(variant)
    return KernelSpec(
        codec=kernel.codec, options=dict(chosen.codec_options), defines=dict(chosen.defines),
        dtype=kernel.dtype, format_check=format_check,
    )


def _bound(data: np.ndarray, rel: float) -> float:
    """rel x value range; for constant data (range 0), rel x max(|x|, 1) so eb stays positive."""
    finite = data[np.isfinite(data)]
    value_range = float(finite.max()) - float(finite.min()) if finite.size else 0.0
    if value_range > 0.0:
        return rel * value_range
    return rel * max(float(np.abs(finite).max()) if finite.size else 0.0, 1.0)


def build_problems(suite: Suite, dtype: str = "float32") -> list[Problem]:
    """One Problem per dataset x relative bound (absolute eb computed here, never by kernels)."""
    problems = []
    for spec in suite.datasets:
        data = np.ascontiguousarray(get_dataset(spec).load().ravel()).astype(dtype, copy=False)
        for rel in suite.relative_bounds:
            problems.append(Problem(f"{spec}@rel={rel:g}", data, _bound(data, rel)))
    return problems


def evaluate(
    backend: Backend,
    sources: Sequence[Path],
    spec: KernelSpec,
    workdir: Path,
    validation: Sequence[Problem],
    benchmark: Sequence[Problem] = (),
    settings: BenchSettings | None = None,
) -> Evaluation:
    """Compile sources; validate; benchmark only what validated."""
    build = backend.compile(sources, spec, workdir)
    if not build.ok:
        return Evaluation(build, None, None)
    combined = getattr(backend, "validate_and_benchmark", None)  # optional hook: one process for both
    if combined is not None and benchmark:
        with bench_slot(backend.name, str(workdir)):  # validation shares the child, so it holds the slot too
            checked, measured = combined(build, spec, validation, benchmark, workdir, settings)
        return Evaluation(build, checked, measured)
    # Untrusted code runs in a validation too: it holds the device's slot, or a kernel spinning every core
    # while it is validated would slow a concurrent run's benchmark on that device (compiles still overlap).
    with bench_slot(backend.name, str(workdir)):
        checked = backend.validate(build, spec, validation, workdir)
    bench = None
    if checked.ok and benchmark:
        with bench_slot(backend.name, str(workdir)):  # one benchmark per device at a time (no-op unless configured)
            bench = backend.benchmark(build, spec, benchmark, workdir, settings)
    return Evaluation(build, checked, bench)
