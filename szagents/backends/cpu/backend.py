"""The cpu backend: gcc/OpenMP shared libraries, host buffers, wall-clock timing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from szagents.backends.build.library import LibraryBackend
from szagents.backends.protocol import Availability, Guidance, Requirements
from szagents.backends.sandbox import Limits

__all__ = ["CpuConfig", "CpuBackend"]

_GIB = 1 << 30
_TEMPLATES = Path(__file__).resolve().parent / "templates"


class CpuConfig(BaseModel):
    """Compiler, flags and limits of the cpu backend."""

    model_config = ConfigDict(frozen=True)

    compiler: str = Field(default_factory=lambda: os.environ.get("CC", "gcc"))
    flags: tuple[str, ...] = ("-O3", "-march=native", "-fopenmp", "-shared", "-fPIC")
    compile_limits: Limits = Limits(wall_seconds=120, address_space_bytes=8 * _GIB, file_size_bytes=64 << 20)
    run_limits: Limits = Limits(wall_seconds=120, address_space_bytes=16 * _GIB)
    omp_num_threads: int | None = None  # None: inherit OMP_NUM_THREADS or use every core
    isolation: str | None = None  # "bwrap" or "rlimits-only"; None: $SZAGENTS_ISOLATION, else bwrap


class CpuBackend(LibraryBackend):
    """Compile C with gcc into a shared library; validate and benchmark it in an isolated child."""

    name = "cpu"
    device = "cpu"
    compiled_suffixes = frozenset({".c", ".cc", ".cpp"})
    requirements = Requirements(target_files=("kernel.c",), description="C on the CPU, OpenMP allowed",
                                reference_sources=("serial_c", "reference_c"),
                                guidance=Guidance(architecture=_TEMPLATES / "architecture.md.j2"))

    def __init__(self, config: CpuConfig | None = None) -> None:
        self.config = config or CpuConfig()
        self.compile_limits = self.config.compile_limits
        self.run_limits = self.config.run_limits
        self.isolation = self.config.isolation

    def availability(self) -> Availability:
        """Available when the C compiler is on PATH."""
        if shutil.which(self.config.compiler) is None:
            return Availability(
                available=False, can_compile=False,
                reason=f"C compiler {self.config.compiler!r} not found on PATH",
                fix="install gcc (Debian: apt-get install gcc) or set CC to a C compiler",
            )
        return self.isolation_problem() or Availability(available=True, can_compile=True)

    def compiler(self) -> str:
        return self.config.compiler

    def base_flags(self) -> list[str]:
        return list(self.config.flags)

    def env(self) -> dict[str, str]:
        if self.config.omp_num_threads is not None:
            return {"OMP_NUM_THREADS": str(self.config.omp_num_threads)}
        return {}
