"""Does a kernel change bring slow calls? Two sources of one kernel, timed call by call, interleaved.

Standalone (numpy, cupy, ctypes and nvcc; reuses bench/gpu_kernels.py). From the repository root, on a GPU machine:

    python3 bench/kernel_tails.py OLD.cu NEW.cu [--kernel szp] [--mode plain] [--field grf3d] [--reps 300] [--log FILE]

Each call gets the 128 MB L2 flush of gpu_kernels.py queued before it and CUDA events around it, as in
bench/cuszp_compare.py; the two builds take turns call by call, so a drift of the clock or of the machine falls on
both alike. Per source it prints the median, the 90th and 99th percentiles, the maximum and the CV of the call
times, and how many calls took over twice the median: a median can hide a rare slow call that a CV shows.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cuda_sweep import rel_eb  # noqa: E402
from gpu_kernels import GpuCodec, Variant, build, climate2d, grf3d  # noqa: E402

FIELDS = {"grf3d": grf3d, "climate2d": climate2d}


def summary(times_ms: list[float], gb: float) -> str:
    t = np.asarray(times_ms)
    med = float(np.median(t))
    p90, p99 = np.percentile(t, [90, 99])
    slow = int((t > 2 * med).sum())
    return (f"median {gb / (med * 1e-3):7.1f} GB/s ({med * 1e3:7.1f} us)  p90 {p90 * 1e3:7.1f} us  "
            f"p99 {p99 * 1e3:7.1f} us  max {t.max() * 1e3:8.1f} us  CV {t.std() / t.mean():6.1%}  "
            f"> 2x median: {slow} of {t.size}")


def sayer(log: Path | None):
    """print, flushed, and where log is given also appended to it (a device call returns only the end of the output)."""
    def say(line: str) -> None:
        print(line, flush=True)
        if log:
            with log.open("a") as f:
                f.write(line + "\n")
    return say


def bench_parser(doc: str, field: str, reps_help: str) -> argparse.ArgumentParser:
    """The options of the call-by-call scripts (this one, flush_modes.py, readback_jitter.py)."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--kernel", default="szp", choices=("szp", "szx"))
    ap.add_argument("--mode", default="plain", choices=("plain", "outlier", "ra"))
    ap.add_argument("--field", default=field, choices=sorted(FIELDS))
    ap.add_argument("--reps", type=int, default=300, help=reps_help)
    ap.add_argument("--log", type=Path, help="also append every line printed to this file (e.g. under $OUT)")
    return ap


def interleaved(ways: list, flush, call, stream, reps: int, warmup: int = 10) -> dict:
    """CUDA-event milliseconds per way. Each round calls every way once, in an order that rotates round by round (a
    drift of the clock or of the machine falls on all alike); flush(way) is queued before each call and the events
    enclose call(way); the first `warmup` rounds are not kept."""
    import cupy as cp

    start, end = cp.cuda.Event(), cp.cuda.Event()
    times: dict = {way: [] for way in ways}
    for rep in range(reps + warmup):
        for way in ways[rep % len(ways):] + ways[:rep % len(ways)]:
            flush(way)
            start.record(stream)
            call(way)
            end.record(stream)
            end.synchronize()
            if rep >= warmup:
                times[way].append(cp.cuda.get_elapsed_time(start, end))
    return times


def main(argv: list[str] | None = None) -> int:
    ap = bench_parser(__doc__, "grf3d", "timed calls per source and direction")
    ap.add_argument("sources", nargs=2, type=Path, help="two .cu files of one kernel (e.g. before, after)")
    args = ap.parse_args(argv)

    say = sayer(args.log)
    import cupy as cp

    variant = Variant(args.kernel, "reference", args.mode)
    with tempfile.TemporaryDirectory() as tmp:
        folders = [Path(tmp) / f"t{i}" for i in range(len(args.sources))]
        for folder in folders:
            folder.mkdir()
        codecs = [GpuCodec(build(variant, folder, source=s)[0], variant) for folder, s in zip(folders, args.sources)]
        x = cp.asarray(FIELDS[args.field]())
        eb = rel_eb(x)
        stream = cp.cuda.Stream(non_blocking=True)
        flush = cp.empty(128 << 20, cp.uint8)
        outs = [cp.empty(c.capacity(x.size), cp.uint8) for c in codecs]
        ys = [cp.empty_like(x) for _ in codecs]
        sizes = [c.compress(x, eb, o, stream)[1] for c, o in zip(codecs, outs)]
        stream.synchronize()
        if len(set(sizes)) != 1 or not all(bool((o[:sizes[0]] == outs[0][:sizes[0]]).all()) for o in outs):
            say(f"the two builds' streams differ (sizes {sizes}): compare only like with like")
            return 1
        calls = {"compress": lambda i: codecs[i].compress(x, eb, outs[i], stream),
                 "decompress": lambda i: codecs[i].decompress(outs[i], sizes[i], x.size, eb, ys[i], stream)}
        gb = x.nbytes / 1e9
        say(f"{args.kernel} {args.mode}, {args.field} ({x.nbytes / 1e6:.1f} MB), {args.reps} calls per source, "
              f"interleaved; {cp.cuda.runtime.getDeviceProperties(0)['name'].decode()}")
        flips = [0]

        def write_flush(_: int) -> None:
            flips[0] ^= 1
            cp.cuda.runtime.memsetAsync(flush.data.ptr, flips[0], flush.nbytes, stream.ptr)

        for direction, call in calls.items():
            times = interleaved([0, 1], write_flush, call, stream, args.reps)
            for i, source in enumerate(args.sources):
                say(f"  {direction:10s} {source.name:24s} {summary(times[i], gb)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
