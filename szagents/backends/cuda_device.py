"""The harness's Device for NVIDIA GPUs: CuPy buffers, the ABI stream, CUDA-event timing.

Imported only inside the cuda runner child (it needs CuPy and a GPU), before the privilege drop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cupy as cp
import numpy as np

__all__ = ["CudaDevice"]

_COPY_BYTES = 1 << 30  # size of the device-to-device copy that measures memory bandwidth


class CudaDevice:
    """Device memory; kernels run on a private non-blocking stream; checks on another."""

    name = "cuda"
    xp = cp
    fault_types: tuple[type[BaseException], ...] = (cp.cuda.runtime.CUDARuntimeError, cp.cuda.driver.CUDADriverError)

    def __init__(self) -> None:
        self._abi_stream = cp.cuda.Stream(non_blocking=True)
        self._checks = cp.cuda.Stream(non_blocking=True)
        self._checks.use()  # harness array ops never wait implicitly on the kernel's streams
        props = cp.cuda.runtime.getDeviceProperties(cp.cuda.Device().id)
        self._props = props
        self._scratch = cp.zeros(2 * max(int(props["l2CacheSize"]), 1 << 20) // 4, dtype=cp.int32)
        self._bandwidth: float | None = None

    def to_device(self, host: np.ndarray) -> Any:
        return cp.asarray(host)

    def to_host(self, array: Any) -> np.ndarray:
        return cp.asnumpy(array)

    def pointer(self, array: Any) -> int:
        return int(array.data.ptr)

    def stream(self) -> int:
        return int(self._abi_stream.ptr)

    def synchronize(self) -> None:
        """Wait for the ABI stream only: work hidden on other streams is caught by settled()."""
        self._abi_stream.synchronize()

    def settled(self, buffer: Any) -> bool:
        """True when buffer no longer changes once the whole device is idle."""
        snapshot = buffer.copy()
        cp.cuda.runtime.deviceSynchronize()
        return bool((snapshot.view(cp.uint8) == buffer.view(cp.uint8)).all())

    def flush_cache(self) -> None:
        """Overwrite twice the L2 size so the next timed call reads its input from HBM."""
        self._scratch += 1
        self._checks.synchronize()

    def time_call(self, call: Callable[[], int]) -> tuple[int, float]:
        """CUDA events on the ABI stream around call, then a device-wide synchronize."""
        start, end = cp.cuda.Event(), cp.cuda.Event()
        start.record(self._abi_stream)
        status = call()
        end.record(self._abi_stream)
        cp.cuda.runtime.deviceSynchronize()
        return status, cp.cuda.get_elapsed_time(start, end) / 1e3

    def bandwidth_gbps(self) -> float:
        """Device-to-device copy rate, bytes read + written per second / 1e9 (measured once)."""
        if self._bandwidth is None:
            src = cp.ones(_COPY_BYTES // 4, dtype=cp.float32)
            dst = cp.empty_like(src)
            times = []
            for _ in range(6):
                _, seconds = self.time_call(lambda: self._copy_on_abi_stream(dst, src))
                times.append(seconds)
            self._bandwidth = 2 * _COPY_BYTES / float(np.median(times[1:])) / 1e9
            del src, dst
        return self._bandwidth

    def _copy_on_abi_stream(self, dst: Any, src: Any) -> int:
        with self._abi_stream:
            cp.copyto(dst, src)
        return 0

    def describe(self) -> dict[str, Any]:
        name = self._props["name"]
        return {
            "device": name.decode() if isinstance(name, bytes) else str(name),
            "threads": int(self._props["multiProcessorCount"]),
            "memory_bandwidth_gbps": self.bandwidth_gbps(),
        }
