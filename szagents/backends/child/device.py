"""Memory, kernel-call and timing operations the child-side harness needs, for host memory.

Everything is imported at module level: the runner drops privileges before the kernel runs,
and the interpreter's files may not be readable afterwards. Standard library only: the cpu
child validates and benchmarks with raw addresses and ctypes copies, and never imports numpy
(about 0.1 CPU-s of every child's start; the diagnosis child's numpy device is in diagnosis.py).

The harness logic (diagnosis.py) is written against this small surface so that the cuda backend
plugs in CuPy arrays, device pointers, a stream and CUDA-event timing without copying it.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

    from szagents.backends.child.arena import Arena

__all__ = ["Device", "HostBuffer", "HostDevice", "KernelLibrary"]


class Device(Protocol):
    """Where buffers live and kernels run (host memory here, a GPU in the cuda backend)."""

    name: str
    xp: Any  # numpy or cupy
    fault_types: tuple[type[BaseException], ...]  # errors that mean the kernel broke the device

    def to_device(self, host: np.ndarray) -> Any: ...
    def to_host(self, array: Any) -> np.ndarray: ...
    def pointer(self, array: Any) -> int: ...
    def stream(self) -> int: ...
    def synchronize(self) -> None: ...
    def time_call(self, call: Callable[[], int]) -> tuple[int, float]: ...
    def returned(self) -> None: ...  # the kernel's call has just returned (inside time_call: mark its end)
    def flush_cache(self) -> None: ...
    def settled(self, buffer: Any) -> bool: ...
    def prepare(self, dtype: np.dtype) -> None: ...
    def bandwidth_gbps(self) -> float | None: ...
    def describe(self) -> dict[str, Any]: ...
    def alloc(self, nbytes: int) -> Any: ...
    def view(self, arena: Arena, name: str) -> Any: ...  # region name of arena as this device's host buffer
    def copy_in(self, dst: Any, src: np.ndarray) -> None: ...
    def copy_out(self, dst: np.ndarray, src: Any) -> None: ...
    def sync_all(self) -> None: ...
    def null_call(self, returns_size: bool = False) -> int: ...
    def begin_case(self) -> None: ...
    def open_window(self) -> None: ...
    def close_window(self, repetition: int | None) -> None: ...
    def trace_report(self, repetitions: int) -> dict[str, Any] | None: ...


class HostBuffer:
    """nbytes of host memory at an address, kept mapped by owner: an arena region or an allocation."""

    __slots__ = ("address", "size", "_owner")

    def __init__(self, address: int, size: int, owner: Any) -> None:
        self.address, self.size, self._owner = address, size, owner

    def __getitem__(self, part: slice) -> HostBuffer:
        start, stop, step = part.indices(self.size)
        if step != 1:
            raise ValueError("a host buffer slices contiguously")
        return HostBuffer(self.address + start, max(stop - start, 0), self._owner)

    def tobytes(self) -> bytes:
        return ctypes.string_at(self.address, self.size)


class HostDevice:
    """Host memory with wall-clock timing: the cpu backend's validation and benchmark."""

    name = "cpu"
    fault_types: tuple[type[BaseException], ...] = ()

    def settled(self, buffer: Any) -> bool:
        """Host calls are synchronous: a returned call has finished."""
        return True

    def prepare(self, dtype: np.dtype) -> None:
        """Nothing to compile ahead on the host."""

    def bandwidth_gbps(self) -> float | None:
        """Not measured on the host."""
        return None

    def flush_cache(self) -> None:
        """Nothing: the cpu child's warm-up runs warm (its times only size the repetition count), and the
        trusted parent evicts each timed repetition's input and output itself (harness/eviction.py)."""

    def view(self, arena: Arena, name: str) -> HostBuffer:
        return HostBuffer(arena.address(name), arena.regions[name][1], arena)

    def alloc(self, nbytes: int) -> HostBuffer:
        """A byte buffer the kernel may use: fresh pages of an anonymous mapping (page-aligned)."""
        pages = mmap.mmap(-1, max(nbytes, 1))
        pin = ctypes.c_char.from_buffer(pages)
        return HostBuffer(ctypes.addressof(pin), nbytes, (pages, pin))

    def copy_in(self, dst: HostBuffer, src: HostBuffer) -> None:
        """Host bytes into a buffer of the same size."""
        _copy(dst, src)

    def copy_out(self, dst: HostBuffer, src: HostBuffer) -> None:
        """A buffer's bytes into host memory of the same size."""
        _copy(dst, src)

    def sync_all(self) -> None:
        """Host calls are synchronous."""

    def null_call(self, returns_size: bool = False) -> int:
        """The cheapest call (the parent's allowance): nothing (a host call returns its size for free)."""
        return 0

    def begin_case(self) -> None:
        """No device trace on the host: the parent accounts the tree's CPU time itself."""

    def open_window(self) -> None:
        """No device trace on the host."""

    def close_window(self, repetition: int | None) -> None:
        """No device trace on the host."""

    def trace_report(self, repetitions: int) -> dict[str, Any] | None:
        """No device trace on the host."""
        return None

    def pointer(self, buffer: HostBuffer) -> int:
        return buffer.address

    def stream(self) -> int:
        return 0

    def synchronize(self) -> None:
        return None

    def returned(self) -> None:
        """Nothing to mark: the host clock around the call is the time."""

    def time_call(self, call: Callable[[], int]) -> tuple[int, float]:
        """Run call once; return its status and elapsed wall-clock seconds."""
        start = time.perf_counter()
        status = call()
        return status, time.perf_counter() - start

    def describe(self) -> dict[str, Any]:
        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        return {"device": _cpu_model(), "threads": threads, "omp_num_threads": os.environ.get("OMP_NUM_THREADS")}


def _copy(dst: HostBuffer, src: HostBuffer) -> None:
    if dst.size != src.size:
        raise ValueError(f"copy of {src.size} bytes into a buffer of {dst.size}")
    ctypes.memmove(dst.address, src.address, src.size)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform  # only where /proc/cpuinfo names no model: a child need not pay its import

    return platform.processor() or "unknown cpu"


class KernelLibrary:
    """The ABI symbols of a loaded kernel library, called with raw pointers."""

    def __init__(self, lib: ctypes.CDLL, dtype: np.dtype | str,  # a numpy dtype or its name
                 returned: Callable[[], None] = lambda: None) -> None:
        """returned: called the moment each ABI call comes back, before anything else runs (Device.returned)."""
        self._returned = returned
        suffix = "" if str(dtype) == "float32" else "_f64"
        self.compress_fn = getattr(lib, f"sz_compress{suffix}")
        self.decompress_fn = getattr(lib, f"sz_decompress{suffix}")
        size_t, vp = ctypes.c_size_t, ctypes.c_void_p
        self.compress_fn.argtypes = [vp, size_t, ctypes.c_float, vp, size_t, ctypes.POINTER(size_t), vp]
        self.decompress_fn.argtypes = [vp, size_t, size_t, ctypes.c_float, vp, vp]
        self.compress_fn.restype = self.decompress_fn.restype = ctypes.c_int
        self._out_bytes = ctypes.c_size_t(0)

    def compress(self, src: int, n: int, eb: float, dst: int, capacity: int, stream: int) -> int:
        """Call sz_compress; the reported size is in .out_bytes afterwards."""
        self._out_bytes.value = 0
        status = self.compress_fn(src, n, eb, dst, capacity, ctypes.byref(self._out_bytes), stream or None)
        self._returned()
        return status

    @property
    def out_bytes(self) -> int:
        return int(self._out_bytes.value)

    def decompress(self, src: int, nbytes: int, n: int, eb: float, dst: int, stream: int) -> int:
        """Call sz_decompress."""
        status = self.decompress_fn(src, nbytes, n, eb, dst, stream or None)
        self._returned()
        return status
