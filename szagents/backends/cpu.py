"""The cpu backend: gcc/OpenMP shared libraries, host buffers, wall-clock timing."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from szagents.backends.compiler import build_library
from szagents.backends.isolated import run_harness
from szagents.backends.protocol import Availability, BenchSettings, KernelSpec, Problem
from szagents.backends.results import BenchmarkResult, CompileResult, ValidationResult
from szagents.backends.sandbox import Limits
from szagents.paths import kernels_dir

__all__ = ["CpuConfig", "CpuBackend"]

_GIB = 1 << 30


class CpuConfig(BaseModel):
    """Compiler, flags and limits of the cpu backend."""

    model_config = ConfigDict(frozen=True)

    compiler: str = Field(default_factory=lambda: os.environ.get("CC", "gcc"))
    flags: tuple[str, ...] = ("-O3", "-march=native", "-fopenmp", "-shared", "-fPIC")
    compile_limits: Limits = Limits(wall_seconds=120, address_space_bytes=8 * _GIB)
    run_limits: Limits = Limits(wall_seconds=120, address_space_bytes=16 * _GIB)
    omp_num_threads: int | None = None  # None: inherit OMP_NUM_THREADS or use every core


class CpuBackend:
    """Compile with gcc into a shared library; validate and benchmark it in an isolated child."""

    name = "cpu"

    def __init__(self, config: CpuConfig | None = None) -> None:
        self.config = config or CpuConfig()

    def availability(self) -> Availability:
        """Available when the C compiler is on PATH."""
        if shutil.which(self.config.compiler) is None:
            return Availability(
                available=False, can_compile=False,
                reason=f"C compiler {self.config.compiler!r} not found on PATH",
                fix="install gcc (Debian: apt-get install gcc) or set CC to a C compiler",
            )
        return Availability(available=True, can_compile=True)

    def flags(self, spec: KernelSpec) -> list[str]:
        """Full compiler flags for spec: base flags, the ABI include path, the defines."""
        defines = [f"-D{k}={v}" for k, v in sorted(spec.defines.items())]
        return [*self.config.flags, "-I", str(kernels_dir() / "abi"), *defines]

    def compile(self, sources: Sequence[Path], spec: KernelSpec, workdir: Path) -> CompileResult:
        """Build sources (.c files; headers beside them are part of the cache key)."""
        available = self.availability()
        if not available.can_compile:
            from szagents.errors import ToolchainError

            raise ToolchainError(f"{available.reason}; {available.fix}")
        sources = [Path(s) for s in sources]
        compiled = [s for s in sources if s.suffix in {".c", ".cc", ".cpp"}]
        headers = [s for s in sources if s not in compiled]
        return build_library(
            backend=self.name, executable=self.config.compiler, flags=self.flags(spec),
            sources=compiled, extra_inputs=[*headers, kernels_dir() / "abi" / "sz_abi.h"],
            workdir=Path(workdir), limits=self.config.compile_limits,
        )

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.config.omp_num_threads is not None:
            env["OMP_NUM_THREADS"] = str(self.config.omp_num_threads)
        return env

    def validate(
        self, build: CompileResult, spec: KernelSpec, problems: Sequence[Problem], workdir: Path
    ) -> ValidationResult:
        """Check every problem with DESIGN.md's rules in an isolated child."""
        return run_harness(  # type: ignore[return-value]
            "validate", device="cpu", build=build, spec=spec, problems=problems,
            workdir=Path(workdir), limits=self.config.run_limits, env=self._env(),
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
        return run_harness(  # type: ignore[return-value]
            "benchmark", device="cpu", build=build, spec=spec, problems=problems,
            workdir=Path(workdir), limits=self.config.run_limits, settings=settings, env=self._env(),
        )
