"""Does reading a result back to the host make a short call unsteady? A steady call timed alone and with a readback.

Standalone (numpy, cupy, ctypes and nvcc; reuses bench/gpu_kernels.py, kernel_tails.py, flush_modes.py). From the
repository root, on a GPU machine:

    python3 bench/readback_jitter.py [--kernel szp] [--mode plain] [--field climate2d] [--reps 300] [--log FILE]

A compressor must return its stream's size, so its call waits for the device before it returns; a decompressor
returns at once. bench/flush_modes.py found the compressors' calls 4-8 % CV at 25.9 MB (about 4 us of spread at any
size) and the decompressors' 1-2 %. This times the (steady) decompression of one build, call by call, interleaved,
with the harness's write flush before each, as:

    alone     the call only
    memcpy    the call, then 8 bytes copied to pinned host memory and the stream synchronized (what the
              references' compressors do to return the size)
    event     the call, then an event recorded and synchronized
    poll      the call, then a one-thread kernel that writes a counter into mapped pinned host memory, which the
              host spins on (no driver call to wait)

A readback whose spread is the compressors' points at it, not at the kernels, for their CV.
"""

from __future__ import annotations

import ctypes
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from flush_modes import Flusher, one_build  # noqa: E402
from kernel_tails import bench_parser, interleaved, sayer, summary  # noqa: E402

WAYS = ("alone", "memcpy", "event", "poll")
_SIGNAL_SRC = r"""
extern "C" __global__ void signal_host(volatile unsigned long long *word, unsigned long long value) {
    __threadfence_system();
    *word = value;
}
"""


class Readback:
    """The ways of WAYS to wait for a call's end from the host, on one stream."""

    def __init__(self, stream):
        import cupy as cp

        rt = cp.cuda.runtime
        self.stream, self.count = stream, 0
        self.pinned = rt.hostAlloc(8, rt.hostAllocMapped)
        self.word = ctypes.c_uint64.from_address(self.pinned)
        self.word.value = 0
        self.device_word = self.pinned  # unified addressing: a mapped host allocation has one address
        self.source = cp.zeros(1, cp.uint64)
        self.kernel = cp.RawKernel(_SIGNAL_SRC, "signal_host")
        self.event = cp.cuda.Event(disable_timing=True)

    def __call__(self, way: str) -> None:
        import cupy as cp

        rt = cp.cuda.runtime
        if way == "memcpy":
            rt.memcpyAsync(self.pinned, self.source.data.ptr, 8, rt.memcpyDeviceToHost, self.stream.ptr)
            rt.streamSynchronize(self.stream.ptr)
        elif way == "event":
            self.event.record(self.stream)
            self.event.synchronize()
        elif way == "poll":
            self.count += 1
            self.kernel((1,), (1,), (np.uint64(self.device_word), np.uint64(self.count)), stream=self.stream)
            spins = 0
            while self.word.value != self.count:
                spins += 1
                if spins % 4096 == 0 and rt.streamQuery(self.stream.ptr) == 0 and self.word.value != self.count:
                    raise RuntimeError("the stream finished but the host word was never written")


def main(argv: list[str] | None = None) -> int:
    ap = bench_parser(__doc__, "climate2d", "timed calls per way")
    args = ap.parse_args(argv)

    say = sayer(args.log)
    import cupy as cp

    with tempfile.TemporaryDirectory() as tmp:
        codec, x, eb, stream, out, y, size = one_build(args, Path(tmp))
        flush, readback = Flusher(stream), Readback(stream)
        say(f"{args.kernel} {args.mode} decompression, {args.field} ({x.nbytes / 1e6:.1f} MB), {args.reps} calls per "
            f"way, interleaved, write flush; {cp.cuda.runtime.getDeviceProperties(0)['name'].decode()}")

        def call(way: str) -> None:
            codec.decompress(out, size, x.size, eb, y, stream)
            readback(way)

        times = interleaved(list(WAYS), lambda _: flush("write"), call, stream, args.reps)
        for way in WAYS:
            say(f"  {way:7s} {summary(times[way], x.nbytes / 1e9)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
