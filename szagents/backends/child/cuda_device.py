"""The harness's Device for NVIDIA GPUs: CuPy buffers, the ABI stream, CUDA-event timing.

Imported only inside the cuda runner child (it needs CuPy and a GPU), before the privilege drop.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any

import cupy as cp
import numpy as np

from szagents.backends.child import checks
from szagents.backends.child.device_trace import END_BYTES, MARKER_BYTES, START_BYTES, DeviceTrace

__all__ = ["CudaDevice", "FLUSH_BYTES", "flush_bytes"]

_COPY_BYTES = 1 << 30  # size of the device-to-device copy that measures memory bandwidth
# The L2 flush writes at least this much (and at least twice the L2): 110-180 us on an H200 or H100, longer than
# the child's host path from queueing it to the call's first launch (about 40 us of Python and ctypes), so the
# call is queued by the time the flush ends and starts then, on a device that never went idle in between.
FLUSH_BYTES = 512 << 20


def flush_bytes(l2_bytes: int) -> int:
    """How much the L2 flush writes on a device with this L2: FLUSH_BYTES, or twice the L2 where that is more."""
    return max(2 * l2_bytes, FLUSH_BYTES)


class CudaDevice:
    """Device memory; kernels run on a private non-blocking stream; checks on another."""

    name = "cuda"
    xp = cp
    fault_types: tuple[type[BaseException], ...] = (cp.cuda.runtime.CUDARuntimeError, cp.cuda.driver.CUDADriverError)

    def __init__(self) -> None:
        self._trace, self.trace_note = DeviceTrace.start()  # before any CUDA work: every context is traced
        self._abi_stream = cp.cuda.Stream(non_blocking=True)
        self._checks = cp.cuda.Stream(non_blocking=True)
        self._checks.use()  # harness array ops never wait implicitly on the kernel's streams
        self._checks_done = cp.cuda.Event(block=False, disable_timing=True)
        props = cp.cuda.runtime.getDeviceProperties(cp.cuda.Device().id)
        self._props = props
        self._scratch = cp.zeros(flush_bytes(int(props["l2CacheSize"])) // 4, dtype=cp.int32)
        self._marks = cp.zeros(2 * 4096, dtype=cp.uint8)  # the ABI stream's start and end markers write here
        self._end_mark = self._marks.data.ptr + 4096
        # The marker that names the checks stream in the trace: all of the harness's own device work runs there.
        cp.cuda.runtime.memsetAsync(self._scratch.data.ptr, 0, MARKER_BYTES, self._checks.ptr)
        self._checks.synchronize()
        self._bandwidth: float | None = None
        self._flips = 0
        self._driver = ctypes.CDLL("libcuda.so.1")  # the driver through ctypes: null_call and the end marker
        self._driver.cuMemsetD8Async.argtypes = [ctypes.c_uint64, ctypes.c_ubyte, ctypes.c_size_t, ctypes.c_void_p]
        self._driver.cuMemcpyDtoHAsync_v2.argtypes = [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_size_t, ctypes.c_void_p]
        self._driver.cuStreamSynchronize.argtypes = [ctypes.c_void_p]
        self._size_host: Any = cp.cuda.alloc_pinned_memory(8)
        self._end_pending: int | None = None  # inside time_call: the ABI stream, until the call's end is marked

    # ----- the trace of every device activity (device_trace.py) ----------------------------------
    def begin_case(self) -> None:
        if self._trace is not None:
            self._trace.begin_case()

    def open_window(self) -> None:
        """A call's window opens (`go` received, or a warm-up call about to start)."""
        if self._trace is not None:
            self._trace.open()

    def close_window(self, repetition: int | None) -> None:
        """The window closes after the device-wide synchronize; repetition None: a warm-up call."""
        if self._trace is not None:
            self._trace.close(repetition)

    def trace_report(self, repetitions: int) -> dict[str, Any]:
        """Spans per repetition and work off the clock (CUPTI), or why there is no trace."""
        if self._trace is None:
            return {"source": "events", "reason": self.trace_note}
        return self._trace.report(repetitions)

    def to_device(self, host: np.ndarray) -> Any:
        return cp.asarray(host)

    def to_host(self, array: Any) -> np.ndarray:
        return cp.asnumpy(array)

    def view(self, arena: Any, name: str) -> np.ndarray:
        """Region name of the arena as a numpy array (the host side of copy_in and copy_out)."""
        return arena.view(name)

    def alloc(self, nbytes: int) -> Any:
        """A device byte buffer the kernel may use."""
        return cp.empty(nbytes, dtype=cp.uint8)

    def copy_in(self, dst: Any, src: np.ndarray) -> None:
        """Host bytes into a device buffer of the same size (plain runtime copy: no CuPy kernel to compile)."""
        cp.cuda.runtime.memcpyAsync(dst.data.ptr, src.ctypes.data, src.nbytes,
                                    cp.cuda.runtime.memcpyHostToDevice, self._checks.ptr)
        self._checks.synchronize()

    def copy_out(self, dst: np.ndarray, src: Any) -> None:
        """A device buffer's bytes into host memory of the same size."""
        cp.cuda.runtime.memcpyAsync(dst.ctypes.data, src.data.ptr, dst.nbytes,
                                    cp.cuda.runtime.memcpyDeviceToHost, self._checks.ptr)
        self._checks.synchronize()

    def sync_all(self) -> None:
        """Wait for every stream of the device (work hidden on other streams included)."""
        cp.cuda.runtime.deviceSynchronize()

    def pointer(self, array: Any) -> int:
        return int(array.data.ptr)

    def stream(self) -> int:
        """The ABI stream, made to wait for the work queued so far on the checks stream.

        Uploads, copies and poison fills on the checks stream are asynchronous: a kernel call not
        ordered after them reads half-prepared buffers (on 2^26 values: SZ_ERR_RANGE on valid
        input, SZ_ERR_FORMAT, unwritten outputs, false cheat verdicts)."""
        self._checks_done.record(self._checks)
        self._abi_stream.wait_event(self._checks_done)
        return int(self._abi_stream.ptr)

    def synchronize(self) -> None:
        """Wait for the ABI stream only: work hidden on other streams is caught by settled()."""
        self._abi_stream.synchronize()

    def settled(self, buffer: Any) -> bool:
        """True when buffer no longer changes once the whole device is idle."""
        snapshot = buffer.copy()
        cp.cuda.runtime.deviceSynchronize()
        return bool((snapshot.view(cp.uint8) == buffer.view(cp.uint8)).all())

    def prepare(self, dtype: np.dtype) -> None:
        """Run every array operation the harness uses once, so CuPy compiles (or loads) its kernels now."""
        x = cp.asarray(np.linspace(-1.0, 1.0, 64, dtype=dtype))
        out = checks.poisoned(cp, 64, dtype)
        checks.unwritten_count(cp, out, x)
        checks.bound_report(cp, x, out, 1e-3)
        checks.quality(cp, x, x)
        raw = cp.full(256, checks.BYTE_POISON, dtype=cp.uint8)
        bool((raw[128:] != checks.BYTE_POISON).any())
        bool((x.view(cp.uint8) == x.view(cp.uint8)).all())
        raw[:64] = raw[64:128].copy()
        raw[:] = checks.STALE_POISON
        cp.copyto(x, cp.asarray(np.zeros(64, dtype=dtype)))
        self.settled(raw)
        self.flush_cache()
        self._checks.synchronize()

    def flush_cache(self) -> None:
        """Overwrite the scratch (FLUSH_BYTES, at least twice the L2) so the next timed call reads its input from
        HBM (a memset: no kernel to compile). Queued, not waited for: time_call orders the call behind it, so the
        call starts as it ends, as Triton's do_bench and nvbench queue theirs. A host that waited let the device
        idle before every call and timed the launch (kernel-against-kernel events: 10-13 % slower at 25.9 MB on
        an H100, 2026-12-06)."""
        self._flips ^= 1
        cp.cuda.runtime.memsetAsync(self._scratch.data.ptr, self._flips, self._scratch.nbytes, self._checks.ptr)

    def time_call(self, call: Callable[[], int]) -> tuple[int, float]:
        """The call between the ABI stream's start and end markers (device_trace.py), ordered behind the work
        queued on the checks stream (the flush), then a device-wide synchronize. The CUDA events beside the
        markers are the claim where there is no trace."""
        start, end = cp.cuda.Event(), cp.cuda.Event()
        stream = self.stream()
        cp.cuda.runtime.memsetAsync(self._marks.data.ptr, 0, START_BYTES, stream)
        start.record(self._abi_stream)
        self._end_pending = stream
        status = call()
        self.returned()  # where call did not say so itself
        end.record(self._abi_stream)
        cp.cuda.runtime.deviceSynchronize()
        return status, cp.cuda.get_elapsed_time(start, end) / 1e3

    def returned(self) -> None:
        """The kernel's call has just returned: inside time_call, the end marker goes on the ABI stream now, through
        the driver, before any more Python runs. A call that waited for the device and returned later (a compressor
        reading its size back) pays until it returned, as an event recorded right after a call charges it; not
        the harness's bookkeeping after that."""
        if self._end_pending is not None:
            self._driver.cuMemsetD8Async(self._end_mark, 0, END_BYTES, self._end_pending)
            self._end_pending = None

    def bandwidth_gbps(self) -> float:
        """Device-to-device copy rate, bytes read + written per second / 1e9 (measured once)."""
        if self._bandwidth is None:
            src = cp.empty(_COPY_BYTES, dtype=cp.uint8)
            dst = cp.empty_like(src)
            times = []
            for _ in range(6):
                _, seconds = self.time_call(lambda: self._copy_on_abi_stream(dst, src))
                times.append(seconds)
            self._bandwidth = 2 * _COPY_BYTES / float(np.median(times[1:])) / 1e9
            del src, dst
        return self._bandwidth

    def null_call(self, returns_size: bool = False) -> int:
        """The cheapest real call (the parent's allowance), down the path a kernel call takes: the ABI stream
        ordered after the checks stream, then a ctypes call into a C library that launches one 4-byte memset.
        So the host overhead every kernel call pays is in the allowance, not in the floor on its time.
        returns_size (compress): then what every compressor must do to return its size to the host, an 8-byte
        device-to-host copy into pinned memory and a wait for the stream."""
        stream = self.stream()
        status = int(self._driver.cuMemsetD8Async(self._scratch.data.ptr, 0, 4, stream))
        if returns_size and status == 0:
            status = int(self._driver.cuMemcpyDtoHAsync_v2(self._size_host.ptr, self._scratch.data.ptr, 8, stream))
            status = status or int(self._driver.cuStreamSynchronize(stream))
        self.returned()
        return status

    def _copy_on_abi_stream(self, dst: Any, src: Any) -> int:
        cp.cuda.runtime.memcpyAsync(dst.data.ptr, src.data.ptr, dst.nbytes,
                                    cp.cuda.runtime.memcpyDeviceToDevice, self._abi_stream.ptr)
        return 0

    def describe(self) -> dict[str, Any]:
        name = self._props["name"]
        return {
            "device": name.decode() if isinstance(name, bytes) else str(name),
            "threads": int(self._props["multiProcessorCount"]),
            "memory_bandwidth_gbps": self.bandwidth_gbps(),
        }
