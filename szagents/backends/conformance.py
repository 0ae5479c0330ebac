"""The contract every backend keeps, as checks anyone can run: built-in, plug-in or third party.

A backend author describes one `Subject` (the backend, the sources of a correct kernel, of a kernel
that does not compile and of one that breaks the error bound, a KernelSpec and a few problems) and
runs every check, e.g. from pytest:

    from szagents.backends import conformance

    @pytest.mark.parametrize("check", conformance.CHECKS, ids=conformance.CHECK_NAMES)
    def test_conformance(check, tmp_path):
        check(my_subject(tmp_path), tmp_path)

A check that fails raises ConformanceError (an AssertionError) saying what the backend did. Nothing
here imports pytest; the checks compile and run real kernels through the backend's own calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

from szagents.backends.protocol import (
    Availability, Backend, BenchSettings, Guidance, KernelSpec, Problem, Requirements,
)
from szagents.backends.registry import get_backend, requirements
from szagents.backends.results import BenchmarkResult, CompileResult, ValidationResult, Verdict

__all__ = ["ConformanceError", "Subject", "sample_problems", "CHECKS", "CHECK_NAMES", "run_all",
           "check_registered"]

QUICK = BenchSettings(warmup=1, warmup_seconds=0.05, min_reps=3, max_reps=5, min_seconds=0.01, verify_reps=2)


class ConformanceError(AssertionError):
    """A backend broke the contract; the message says how."""


@dataclass(frozen=True)
class Subject:
    """A backend and the kernels that exercise it: good validates, broken fails to compile, wrong breaks the bound."""

    backend: Backend
    good: Sequence[Path]
    broken: Sequence[Path]
    wrong: Sequence[Path]
    spec: KernelSpec
    problems: Sequence[Problem]
    settings: BenchSettings = QUICK


def sample_problems(n: int = 4096) -> list[Problem]:
    """Two small fields: a smooth one at a tight bound and a noisy one at a loose bound."""
    x = np.linspace(0.0, 8.0 * np.pi, n)
    noise = np.random.default_rng(22).normal(size=n)
    return [Problem(f"sine:{n}", np.sin(x).astype(np.float32), 1e-3),
            Problem(f"noise:{n}", noise.astype(np.float32), 1e-1)]


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConformanceError(message)


def _compiled(subject: Subject, sources: Sequence[Path], workdir: Path) -> CompileResult:
    build = subject.backend.compile(list(sources), subject.spec, workdir)
    _require(isinstance(build, CompileResult), f"compile() returned {type(build).__name__}, not a CompileResult")
    return build


def check_protocol(subject: Subject, workdir: Path) -> None:
    """A name, Requirements, and an Availability that says why when the backend cannot run."""
    backend = subject.backend
    _require(isinstance(backend, Backend), "the backend lacks a member of the Backend protocol")
    _require(isinstance(backend.name, str) and bool(backend.name), f"name must be a non-empty str, got {backend.name!r}")
    state = backend.availability()
    _require(isinstance(state, Availability), f"availability() returned {type(state).__name__}")
    _require(state.available or bool(state.reason), "an unavailable backend must say why (Availability.reason)")


def check_requirements(subject: Subject, workdir: Path) -> None:
    """Target files are plain relative names; the description is set; every material file exists; reference sources
    are distinct source roles (names as a task.toml's [sources] table keys them)."""
    req = subject.backend.requirements
    _require(isinstance(req, Requirements), f"requirements is {type(req).__name__}, not Requirements")
    _require(bool(req.target_files), "requirements.target_files is empty: agents would write nothing")
    for name in req.target_files:
        path = PurePosixPath(name)
        _require(not path.is_absolute() and ".." not in path.parts and len(path.parts) == 1,
                 f"target file {name!r} must be a plain file name in the workspace")
    _require(bool(req.description.strip()), "requirements.description is empty")
    _require(all(s.startswith(".") for s in req.module_suffixes), f"module suffixes need a dot: {req.module_suffixes}")
    for material in req.material:
        _require(Path(material.source).is_file(), f"material {material.name!r}: {material.source} is not a file")
    roles = req.reference_sources
    _require(all(r.isidentifier() for r in roles) and len(set(roles)) == len(roles),
             f"reference sources must be distinct source roles such as 'reference_c', got {roles}")


def check_guidance(subject: Subject, workdir: Path) -> None:
    """Every template the guidance names is a file at an absolute path (the prompts and the README render it from
    there); a backend that names none gets the generic text."""
    guidance = subject.backend.requirements.guidance
    _require(isinstance(guidance, Guidance), f"requirements.guidance is {type(guidance).__name__}, not Guidance")
    for slot, path in guidance.templates().items():
        _require(path.is_absolute() and path.is_file(), f"guidance.{slot}: {path} is not a file at an absolute path")


def check_compile_error_is_a_result(subject: Subject, workdir: Path) -> None:
    """Sources that do not compile give ok=False with a log, never an exception; validating it says compile_error."""
    build = _compiled(subject, subject.broken, workdir / "broken")
    _require(not build.ok, "the broken sources compiled")
    _require(bool(build.log.strip()), "a failed compile must carry the compiler's log")
    _require(build.backend == subject.backend.name, f"CompileResult.backend is {build.backend!r}")
    result = subject.backend.validate(build, subject.spec, list(subject.problems), workdir / "broken")
    _require(isinstance(result, ValidationResult) and result.verdict is Verdict.compile_error,
             f"validating a failed build gave {getattr(result, 'verdict', result)!r}, not compile_error")


def check_good_kernel_validates(subject: Subject, workdir: Path) -> None:
    """A correct kernel compiles and validates ok, with one correct case per problem."""
    build = _compiled(subject, subject.good, workdir / "good")
    _require(build.ok, f"the correct kernel did not compile:\n{build.log[-2000:]}")
    result = subject.backend.validate(build, subject.spec, list(subject.problems), workdir / "good")
    _require(isinstance(result, ValidationResult), f"validate() returned {type(result).__name__}")
    _require(result.verdict is Verdict.ok, f"the correct kernel failed validation: {result.verdict.value}: {result.detail}")
    _require(len(result.cases) == len(subject.problems), f"{len(result.cases)} cases for {len(subject.problems)} problems")


def check_wrong_kernel_fails(subject: Subject, workdir: Path) -> None:
    """A kernel that breaks the error bound compiles but does not validate, and the detail says something."""
    build = _compiled(subject, subject.wrong, workdir / "wrong")
    _require(build.ok, f"the wrong kernel should compile (it is wrong, not broken):\n{build.log[-2000:]}")
    result = subject.backend.validate(build, subject.spec, list(subject.problems), workdir / "wrong")
    _require(not result.ok, "a kernel that breaks the error bound validated ok")
    _require(bool(result.detail.strip()), f"the {result.verdict.value} verdict comes without a detail")


def check_benchmark(subject: Subject, workdir: Path) -> None:
    """The correct kernel benchmarks ok: per problem, positive throughput both ways and a ratio from real bytes."""
    build = _compiled(subject, subject.good, workdir / "bench")
    result = subject.backend.benchmark(build, subject.spec, list(subject.problems), workdir / "bench", subject.settings)
    _require(isinstance(result, BenchmarkResult), f"benchmark() returned {type(result).__name__}")
    _require(result.verdict is Verdict.ok, f"the correct kernel failed its benchmark: {result.verdict.value}: {result.detail}")
    _require(len(result.cases) == len(subject.problems), f"{len(result.cases)} cases for {len(subject.problems)} problems")
    for case, problem in zip(result.cases, subject.problems):
        _require(case.compress_gbps > 0 and case.decompress_gbps > 0, f"{case.dataset}: throughput must be positive")
        _require(case.input_bytes == problem.data.nbytes, f"{case.dataset}: input_bytes {case.input_bytes} "
                 f"is not the problem's {problem.data.nbytes}")
        _require(case.compressed_bytes > 0 and abs(case.ratio - case.input_bytes / case.compressed_bytes) < 1e-6 * case.ratio,
                 f"{case.dataset}: ratio {case.ratio} is not input_bytes / compressed_bytes")
    build_failed = _compiled(subject, subject.broken, workdir / "bench-broken")
    failed = subject.backend.benchmark(build_failed, subject.spec, list(subject.problems), workdir / "bench-broken",
                                      subject.settings)
    _require(failed.verdict is Verdict.compile_error, f"benchmarking a failed build gave {failed.verdict.value}")


def check_registered(name: str, cls: type) -> None:
    """The registry builds name as an instance of cls, and its requirements are the instance's."""
    backend = get_backend(name)
    _require(isinstance(backend, cls), f"get_backend({name!r}) built {type(backend).__name__}, not {cls.__name__}")
    _require(backend.name == name, f"the backend registered as {name!r} calls itself {backend.name!r}")
    _require(requirements(name) == backend.requirements, "registry.requirements differs from the backend's own")


CHECKS: list[Callable[[Subject, Path], None]] = [
    check_protocol, check_requirements, check_guidance, check_compile_error_is_a_result, check_good_kernel_validates,
    check_wrong_kernel_fails, check_benchmark,
]
CHECK_NAMES = [c.__name__.removeprefix("check_") for c in CHECKS]


def run_all(subject: Subject, workdir: Path) -> None:
    """Every check in order; the first that fails raises ConformanceError."""
    for check, name in zip(CHECKS, CHECK_NAMES):
        folder = Path(workdir) / name
        folder.mkdir(parents=True, exist_ok=True)
        check(subject, folder)
