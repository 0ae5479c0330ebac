"""The cpu backend: gcc/OpenMP shared libraries, host buffers, wall-clock timing."""

from szagents.backends.cpu.backend import CpuBackend, CpuConfig

__all__ = ["CpuBackend", "CpuConfig"]
