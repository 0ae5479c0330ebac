"""The cuda backend: nvcc shared libraries, CuPy device buffers, CUDA-event timing."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from szagents.backends.build.library import LibraryBackend
from szagents.backends.protocol import Availability, Guidance, Requirements
from szagents.backends.sandbox import Limits

__all__ = ["CudaConfig", "CudaBackend", "find_nvcc", "gpu_arch"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"


class CudaConfig(BaseModel):
    """nvcc, architecture, flags and limits of the cuda backend."""

    model_config = ConfigDict(frozen=True)

    nvcc: str | None = None  # None: PATH, $CUDA_HOME/bin, the nvidia-cuda-nvcc wheel
    arch: str | None = None  # None: the GPU's (nvidia-smi), else $SZAGENTS_CUDA_ARCH, else sm_90
    flags: tuple[str, ...] = ("-O3", "-lineinfo", "-shared", "-Xcompiler", "-fPIC", "-std=c++17")
    compile_limits: Limits = Limits(wall_seconds=300, address_space_bytes=None, file_size_bytes=64 << 20)
    # CUDA reserves far more virtual address space than it uses: no RLIMIT_AS on the runner.
    run_limits: Limits = Limits(wall_seconds=120, address_space_bytes=None, memory_bytes=None)
    isolation: str | None = None  # "bwrap" or "rlimits-only"; None: $SZAGENTS_ISOLATION, else bwrap


def find_nvcc() -> str | None:
    """nvcc on PATH, in $CUDA_HOME/bin, /usr/local/cuda/bin, or in the nvidia-cuda-nvcc wheel."""
    candidates = [shutil.which("nvcc")]
    for home in (os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"):
        if home:
            candidates.append(str(Path(home) / "bin" / "nvcc"))
    spec = importlib.util.find_spec("nvidia")
    for root in (spec.submodule_search_locations or []) if spec else []:
        candidates.append(str(Path(root) / "cuda_nvcc" / "bin" / "nvcc"))
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


@lru_cache(maxsize=1)
def gpu_arch() -> str | None:
    """sm_XY of GPU 0 from nvidia-smi (no CUDA context in this process), None without a GPU."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None
    done = subprocess.run([smi, "--query-gpu=compute_cap", "--format=csv,noheader"],
                          capture_output=True, text=True, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return None
    return "sm_" + lines[0].strip().replace(".", "")


class CudaBackend(LibraryBackend):
    """Compile .cu with nvcc; validate and benchmark on the GPU in an isolated child."""

    name = "cuda"
    device = "cuda"
    compiled_suffixes = frozenset({".cu"})
    requirements = Requirements(target_files=("kernel.cu",), description="CUDA", gpu=True, profiler="ncu",
                                reference_sources=("baseline_cu", "reference_cu"),
                                guidance=Guidance(architecture=_TEMPLATES / "architecture.md.j2", abi=_TEMPLATES / "abi.md.j2",
                                                  readme_abi=_TEMPLATES / "readme_abi.md.j2"))

    def __init__(self, config: CudaConfig | None = None) -> None:
        self.config = config or CudaConfig()
        self.compile_limits = self.config.compile_limits
        self.run_limits = self.config.run_limits
        self.isolation = self.config.isolation

    def availability(self) -> Availability:
        """Compiling needs nvcc (and the sandbox); running also needs a GPU and CuPy."""
        problem = self.isolation_problem()
        if problem is not None:
            return problem
        nvcc = self.config.nvcc or find_nvcc()
        if nvcc is None:
            return Availability(available=False, can_compile=False, reason="nvcc not found",
                                fix="install the CUDA toolkit, set CUDA_HOME, or pip install nvidia-cuda-nvcc")
        if gpu_arch() is None:
            return Availability(available=False, can_compile=True, reason="no NVIDIA GPU visible (nvidia-smi)",
                                fix="run on a machine with an NVIDIA GPU and driver")
        if importlib.util.find_spec("cupy") is None:
            return Availability(available=False, can_compile=True, reason="CuPy is not installed",
                                fix=f"{sys.executable} -m pip install 'szagents[cuda]' (CUDA 13; 'szagents[cuda12]' for CUDA 12)")
        return Availability(available=True, can_compile=True)

    def compiler(self) -> str:
        return self.config.nvcc or find_nvcc() or "nvcc"

    def arch(self) -> str:
        """Target architecture: configured, detected, $SZAGENTS_CUDA_ARCH, or sm_90."""
        return self.config.arch or gpu_arch() or os.environ.get("SZAGENTS_CUDA_ARCH", "sm_90")

    def base_flags(self) -> list[str]:
        return [*self.config.flags, f"-arch={self.arch()}"]
