"""Child process profiled by ncu: one sz_compress, a marker kernel, one sz_decompress.

Run as `python -m szagents.tools._ncu_driver request.json`; needs CuPy and a GPU.
"""

from __future__ import annotations

import ctypes
import json
import sys
from pathlib import Path

import cupy as cp
import numpy as np

from szagents.backends.child.device import KernelLibrary

__all__ = ["main"]


def main(argv: list[str]) -> int:
    """Compress and decompress the request's input once on a private stream; print the statuses."""
    request = json.loads(Path(argv[1]).read_text())
    data = np.load(request["input"])
    lib = KernelLibrary(ctypes.CDLL(request["library"]), data.dtype)
    marker = cp.RawKernel(f'extern "C" __global__ void {request["marker"]}() {{}}', request["marker"])
    stream = cp.cuda.Stream(non_blocking=True)
    src = cp.asarray(data)
    capacity = 2 * data.nbytes + 65536
    packed = cp.zeros(capacity, dtype=cp.uint8)
    restored = cp.zeros_like(src)
    eb = float(request["eb"])
    status = lib.compress(src.data.ptr, data.size, eb, packed.data.ptr, capacity, stream.ptr)
    stream.synchronize()
    nbytes = lib.out_bytes
    marker((1,), (1,), ())
    cp.cuda.runtime.deviceSynchronize()
    back = lib.decompress(packed.data.ptr, nbytes, data.size, eb, restored.data.ptr, stream.ptr) if status == 0 else -1
    stream.synchronize()
    print(f"driver: compress status {status}, {nbytes} bytes; decompress status {back}")
    return 0 if status == 0 and back == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
