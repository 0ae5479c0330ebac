"""Which L2 flush lets a short call be timed steadily? One build, its calls timed under several flushes, in turn.

Standalone (numpy, cupy, ctypes and nvcc; reuses bench/gpu_kernels.py and bench/kernel_tails.py). From the repository
root, on a GPU machine:

    python3 bench/flush_modes.py [--kernel szp] [--mode plain] [--field climate2d] [--reps 300] [--log FILE]

The harness flushes the L2 before every timed call by writing FLUSH_BYTES (a memset), so the call starts on an L2
full of dirty lines that it must write back as it evicts them: work that is not the kernel's, in its window, and
that may vary call to call. The modes, taken in turn call by call so that a drift of the machine falls on all alike:

    write   the harness's flush: a memset of FLUSH_BYTES queued before the call
    read    a kernel that reads FLUSH_BYTES and writes nothing (the L2 ends full of clean lines, and the previous
            call's dirty lines were written back during the flush, off the clock)
    both    the memset, then the read (dirty lines written back inside the flush, clean L2 at the call)
    none    no flush (the previous call's lines may still be in the L2: the floor, not an honest figure)

Per mode and direction it prints the median, the 90th and 99th percentiles, the maximum, the CV and the calls over
twice the median (kernel_tails.summary).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from cuda_sweep import rel_eb  # noqa: E402
from gpu_kernels import GpuCodec, Variant, build  # noqa: E402
from kernel_tails import FIELDS, bench_parser, interleaved, sayer, summary  # noqa: E402

MODES = ("write", "read", "both", "none")
_READ_SRC = r"""
extern "C" __global__ void read_all(const uint4 *__restrict__ p, unsigned long long n, unsigned *sink) {
    unsigned acc = 0;
    for (unsigned long long i = blockIdx.x * (unsigned long long)blockDim.x + threadIdx.x; i < n;
         i += (unsigned long long)gridDim.x * blockDim.x) {
        const uint4 v = __ldcg(p + i);
        acc ^= v.x ^ v.y ^ v.z ^ v.w;
    }
    if (acc == 0x9e3779b9u) *sink = acc;  /* never in practice; keeps the loads */
}
"""


class Flusher:
    """The flushes of MODES, queued on one stream."""

    def __init__(self, stream):
        import cupy as cp
        from szagents.backends.child.cuda_device import flush_bytes

        props = cp.cuda.runtime.getDeviceProperties(0)
        self.scratch = cp.zeros(flush_bytes(int(props["l2CacheSize"])), cp.uint8)
        self.sink = cp.zeros(1, cp.uint32)
        self.kernel = cp.RawKernel(_READ_SRC, "read_all")
        self.blocks = 4 * int(props["multiProcessorCount"])
        self.stream, self.flips = stream, 0

    def __call__(self, mode: str) -> None:
        import cupy as cp

        if mode in ("write", "both"):
            self.flips ^= 1
            cp.cuda.runtime.memsetAsync(self.scratch.data.ptr, self.flips, self.scratch.nbytes, self.stream.ptr)
        if mode in ("read", "both"):
            self.kernel((self.blocks,), (512,), (self.scratch, np.uint64(self.scratch.nbytes // 16), self.sink),
                        stream=self.stream)


def one_build(args, tmp: Path) -> tuple:
    """The reference of args' kernel and mode built in tmp, args' field on the device, a stream, an output buffer
    holding the field's compressed stream, a buffer for the decompressed values, and the stream's size:
    (codec, x, eb, stream, out, y, size)."""
    import cupy as cp

    variant = Variant(args.kernel, "reference", args.mode)
    codec = GpuCodec(build(variant, tmp)[0], variant)
    x = cp.asarray(FIELDS[args.field]())
    eb = rel_eb(x)
    stream = cp.cuda.Stream(non_blocking=True)
    out, y = cp.empty(codec.capacity(x.size), cp.uint8), cp.empty_like(x)
    size = codec.compress(x, eb, out, stream)[1]
    stream.synchronize()
    return codec, x, eb, stream, out, y, size


def main(argv: list[str] | None = None) -> int:
    ap = bench_parser(__doc__, "climate2d", "timed calls per flush mode and direction")
    ap.add_argument("--flushes", default=",".join(MODES), help=f"comma-separated, of {', '.join(MODES)}")
    args = ap.parse_args(argv)
    modes = [m for m in args.flushes.split(",") if m]
    if not modes or set(modes) - set(MODES):
        ap.error(f"--flushes takes some of {', '.join(MODES)}, comma-separated; got {args.flushes!r}")

    say = sayer(args.log)
    import cupy as cp

    with tempfile.TemporaryDirectory() as tmp:
        codec, x, eb, stream, out, y, size = one_build(args, Path(tmp))
        flush = Flusher(stream)
        calls = {"compress": lambda: codec.compress(x, eb, out, stream),
                 "decompress": lambda: codec.decompress(out, size, x.size, eb, y, stream)}
        device = cp.cuda.runtime.getDeviceProperties(0)["name"].decode()
        say(f"{args.kernel} {args.mode}, {args.field} ({x.nbytes / 1e6:.1f} MB), {args.reps} calls per flush mode, "
            f"interleaved; flush {flush.scratch.nbytes >> 20} MiB; {device}")
        for direction, call in calls.items():
            times = interleaved(modes, flush, lambda _: call(), stream, args.reps)
            for mode in modes:
                say(f"  {direction:10s} {mode:6s} {summary(times[mode], x.nbytes / 1e9)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
