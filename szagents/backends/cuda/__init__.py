"""The cuda backend: nvcc shared libraries, CuPy device buffers, CUDA-event timing."""

from szagents.backends.cuda.backend import CudaBackend, CudaConfig, find_nvcc, gpu_arch

__all__ = ["CudaBackend", "CudaConfig", "find_nvcc", "gpu_arch"]
