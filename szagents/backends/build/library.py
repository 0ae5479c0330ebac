"""Shared machinery of backends that build a shared library and run the harness on it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from szagents.backends.build.compiler import build_library
from szagents.backends.harness.evaluation import run_benchmark, run_evaluation, run_validation
from szagents.backends.protocol import Availability, BenchSettings, KernelSpec, Problem
from szagents.backends.results import BenchmarkResult, CompileResult, ValidationResult
from szagents.backends.sandbox import IsolationUnavailable, Limits, chosen_isolation
from szagents.errors import ToolchainError
from szagents.paths import kernels_dir

__all__ = ["LibraryBackend"]


class LibraryBackend:
    """compile -> lib.so (cached) -> validate/benchmark in an isolated runner child.

    Subclasses set name, device, suffixes and provide compiler(), base_flags(), availability(),
    limits and env().
    """

    name: str
    device: str
    compiled_suffixes: frozenset[str]
    compile_limits: Limits
    run_limits: Limits
    isolation: str | None = None  # None: $SZAGENTS_ISOLATION, else bwrap

    def availability(self) -> Availability:
        raise NotImplementedError

    def isolation_problem(self) -> Availability | None:
        """Unavailable (with the fix) when untrusted code can't be sandboxed and the weaker mode wasn't chosen."""
        try:
            chosen_isolation(self.isolation)
        except IsolationUnavailable as exc:
            return Availability(available=False, can_compile=False, reason=str(exc).split("; fix: ")[0],
                                fix=str(exc).partition("; fix: ")[2] or "see `szagents backends`")
        return None

    def compiler(self) -> str:
        raise NotImplementedError

    def base_flags(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        """Settings for the runner child beyond the sandbox's allowlisted environment."""
        return {}

    def flags(self, spec: KernelSpec) -> list[str]:
        """Full compiler flags for spec: base flags, the ABI include path, the defines."""
        defines = [f"-D{k}={v}" for k, v in sorted(spec.defines.items())]
        return [*self.base_flags(), *defines]  # build_library adds the ABI include folder

    def compile(self, sources: Sequence[Path], spec: KernelSpec, workdir: Path) -> CompileResult:
        """Build the compilable sources; the other files listed are part of the cache key."""
        state = self.availability()
        if not state.can_compile:
            raise ToolchainError(f"backend {self.name!r} cannot compile: {state.reason}; fix: {state.fix}")
        paths = [Path(s) for s in sources]
        compiled = [s for s in paths if s.suffix in self.compiled_suffixes]
        if not compiled:
            raise ToolchainError(
                f"backend {self.name!r} compiles {', '.join(sorted(self.compiled_suffixes))} files; "
                f"got {', '.join(p.name for p in paths)}"
            )
        return build_library(
            backend=self.name, executable=self.compiler(), flags=self.flags(spec), sources=compiled,
            extra_inputs=[p for p in paths if p not in compiled], abi_dir=kernels_dir() / "abi",
            workdir=Path(workdir), limits=self.compile_limits, isolation=self.isolation,
        )

    def validate(
        self, build: CompileResult, spec: KernelSpec, problems: Sequence[Problem], workdir: Path
    ) -> ValidationResult:
        """Check every problem with DESIGN.md's rules in an isolated child."""
        return run_validation(
            device=self.device, build=build, spec=spec, problems=problems,
            workdir=Path(workdir), limits=self.run_limits, env=self.env(), isolation=self.isolation,
        )

    def benchmark(
        self,
        build: CompileResult,
        spec: KernelSpec,
        problems: Sequence[Problem],
        workdir: Path,
        settings: BenchSettings | None = None,
    ) -> BenchmarkResult:
        """Time every problem (median of repetitions) in an isolated child."""
        return run_benchmark(
            device=self.device, build=build, spec=spec, problems=problems,
            workdir=Path(workdir), limits=self.run_limits, settings=settings, env=self.env(),
            isolation=self.isolation,
        )

    def validate_and_benchmark(
        self,
        build: CompileResult,
        spec: KernelSpec,
        problems: Sequence[Problem],
        bench_problems: Sequence[Problem],
        workdir: Path,
        settings: BenchSettings | None = None,
    ) -> tuple[ValidationResult, BenchmarkResult | None]:
        """Optional hook: validate, then benchmark what validated, in one isolated child."""
        return run_evaluation(
            device=self.device, build=build, spec=spec, problems=problems, bench_problems=bench_problems,
            workdir=Path(workdir), limits=self.run_limits, settings=settings, env=self.env(),
            isolation=self.isolation,
        )
