"""The Backend protocol and the values passed across it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, ConfigDict

from szagents.backends.results import BenchmarkResult, CompileResult, ValidationResult

__all__ = ["Availability", "Material", "Guidance", "Requirements", "Problem", "KernelSpec", "BenchSettings", "QUICK_BENCH", "Backend"]


class Availability(BaseModel):
    """Whether a backend can run here; when not, what is missing and how to provide it."""

    model_config = ConfigDict(frozen=True)

    available: bool
    can_compile: bool
    reason: str = ""
    fix: str = ""


class Material(BaseModel):
    """A file a backend puts into every workspace of its tasks (its conventions, a skeleton to start from)."""

    model_config = ConfigDict(frozen=True)

    source: Path  # where the file is (package data)
    name: str  # its name in the workspace
    fresh_only: bool = False  # True: only into a new workspace (a starting skeleton a resumed run keeps)


class Guidance(BaseModel):
    """What a backend tells agents about its target, in the prompts and the workspace README: Jinja templates
    (package data, rendered above the backends with the task's facts) and flags. A template left None gets the
    generic text: a C ABI on host pointers, broad architecture advice, memory-bound tuning."""

    model_config = ConfigDict(frozen=True)

    architecture: Path | None = None  # the expert tier's architecture guidance: a section of its own
    abi: Path | None = None  # the prompts' ABI constraint: the first bullets of their Constraints
    tuning: Path | None = None  # the expert tier's last tuning bullet: what to compare the measure with
    readme_abi: Path | None = None  # the body of the workspace README's ABI section
    headers: bool = True  # headers the agent adds (.h, .cuh, .hpp) are compiled with the target files
    out_buffers: bool = True  # compress reports out_bytes into a buffer the harness bounds and poisons

    def templates(self) -> dict[str, Path]:
        """The templates the backend provides, by slot."""
        return {slot: value for slot, value in self if isinstance(value, Path)}


class Requirements(BaseModel):
    """What a backend needs from the layers above it: the files agents write, how to describe the target, the
    further modules compiled, whether it needs a GPU, what else goes into a workspace, its profiler, which of
    a kernel's sources are its references, and what the prompts and README tell agents about it."""

    model_config = ConfigDict(frozen=True)

    target_files: tuple[str, ...]  # what the agent must write; the first is the main translation unit
    description: str  # the target as the task's README and prompts name it, e.g. "CUDA"
    module_suffixes: tuple[str, ...] = ()  # further files compiled with the targets besides headers (".csl")
    gpu: bool = False  # runs need a GPU: one per run on a cluster, a benchmark slot per GPU, GPU nodes in sandboxes
    material: tuple[Material, ...] = ()
    profiler: str | None = None  # a built-in profiler tool by name ("ncu"); a backend's own profile() hook wins
    reference_sources: tuple[str, ...] = ()  # source roles of a kernel's task.toml it runs as references, in order
    guidance: Guidance = Guidance()


@dataclass(frozen=True)
class Problem:
    """One dataset at one absolute error bound."""

    dataset: str
    data: np.ndarray = field(repr=False)
    eb: float


@dataclass(frozen=True)
class KernelSpec:
    """Which format a build implements: names the reference codec, its options and the dtype."""

    codec: str
    options: dict[str, str] = field(default_factory=dict)
    defines: dict[str, str] = field(default_factory=dict)
    dtype: str = "float32"
    format_check: bool = False  # also require byte-identical streams to the reference codec


class BenchSettings(BaseModel):
    """Repetition policy of a benchmark."""

    model_config = ConfigDict(frozen=True)

    warmup: int = 2  # at least this many warm-up calls; then more until two batches agree (or warmup_seconds)
    warmup_seconds: float = 0.25  # warm-up stops by this much time even where successive batches still disagree
    warmup_agreement: float = 0.05  # successive warm-up batches agree when their medians differ by at most this
    min_reps: int = 5
    max_reps: int = 200
    min_seconds: float = 0.5  # aim for this much timed work per direction (memory permitting)
    verify_reps: int = 4  # repetitions whose outputs the parent checks, drawn at random after the run


QUICK_BENCH = BenchSettings(min_seconds=0.05, min_reps=3, max_reps=8, warmup=1, warmup_seconds=0.1)
"""A quick run's benchmark (the demo, the tests, an OpenEvolve evaluator with quick=True): 3 to 8 timed calls per
direction, about 50 ms of timed work, on the task's quick datasets (its task.toml's `[benchmark] quick_datasets`:
a quarter of the study's climate field). The data each benchmark lays out grows with its repetitions (each gets its
own input), so the cap keeps a fast kernel's benchmark near a slow one's (bench/demo_stability.py measures what the
demo's decisions rest on)."""


@runtime_checkable
class Backend(Protocol):
    """Compiles kernel sources and runs the harness on them, each in an isolated process.

    Optional hooks (used when present): `validate_and_benchmark(build, spec, problems,
    bench_problems, workdir, settings) -> (ValidationResult, BenchmarkResult | None)` in one
    process; `profile(build, spec, problem, workdir) -> str`.
    """

    name: str
    requirements: Requirements

    def availability(self) -> Availability: ...

    def compile(self, sources: Sequence[Path], spec: KernelSpec, workdir: Path) -> CompileResult: ...

    def validate(
        self, build: CompileResult, spec: KernelSpec, problems: Sequence[Problem], workdir: Path
    ) -> ValidationResult: ...

    def benchmark(
        self,
        build: CompileResult,
        spec: KernelSpec,
        problems: Sequence[Problem],
        workdir: Path,
        settings: BenchSettings | None = None,
    ) -> BenchmarkResult: ...
