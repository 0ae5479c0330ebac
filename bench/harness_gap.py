"""Where does the cuda harness's time per call go beyond kernel-against-kernel events? The child's device path, in-process.

bench/gpu_steadiness.py found the harness's SZp compression at 25.9 MB about 15 % below kernel-against-kernel CUDA
events and two to three times as unsteady, while decompression matched. This times one build, in separate processes
with CUPTI activity tracing on and off and under each L2 flush of bench/flush_modes.py
(write: the harness's memset; read: a kernel that reads as much and writes nothing; both), two ways in each:

    harness   the child's own device path (szagents/backends/child/cuda_device.py, as runner.py's _timed drives it):
              the window, the flush on the checks stream queued before the call, the start marker, the call through
              KernelLibrary (the end marker the moment it returns), two device-wide synchronizes; the CUDA events
              beside the markers, and where tracing is on, the CUPTI span the harness claims
    events    the flush, then CUDA events around the call on one stream (gpu_kernels.time_call's way: the goal's
              reference)

Beside them, the host's time per call (the window's opening to the device-wide synchronize after the call) for the
real call and for the null call the parent's allowance rests on: the parent's floor on a call's time is its wall less
the null call's, so the two differences should agree with the call's span; where the real call's host wall exceeds
the null one's by more than its span (the flush after it taking longer, say), the floor rises above honest claims.

No sandbox, no parent, no pipes: what differs between `harness` here and a real harness run is the process
boundary; what differs between `harness` and `events` is the device path; between the trace-on and trace-off
processes, CUPTI. From the repository root, on a GPU machine:

    python3 bench/harness_gap.py [--kernel szp] [--variant plain] [--dataset climate] [--reps 200]
                                 [--trace on,off] [--flushes write,read,both] [--log FILE]
"""

from __future__ import annotations

import argparse
import ctypes
import itertools
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
PAIRS = 16  # buffer pairs used in turn (the harness gives every repetition its own pair)


def _stats(seconds: list[float], gb: float) -> dict:
    us = np.asarray(seconds) * 1e6
    return {"median_us": round(float(np.median(us)), 2), "p90_us": round(float(np.percentile(us, 90)), 2),
            "max_us": round(float(us.max()), 2), "cv": round(float(us.std() / us.mean()), 4),
            "gbps": round(gb / (float(np.median(us)) * 1e-6), 1)}


def _harness_path(dev, fn, reps: int) -> tuple[list[float], list[float]]:
    """runner.py's _timed in a batch, reps + 10 times (the first ten are warm-up calls): per kept call, the CUDA
    events' seconds and the host's seconds from the window's opening to the device-wide synchronize after the call
    (what the parent's wall holds of it, less the pipes)."""
    events, walls, flushed = [], [], False
    for r in range(reps + 10):
        t0 = time.perf_counter()
        dev.open_window()
        if not flushed:
            dev.flush_cache()
        status, seconds = dev.time_call(lambda: fn(r % PAIRS))
        dev.sync_all()
        dev.close_window(r - 10 if r >= 10 else None)
        t1 = time.perf_counter()
        flushed = True
        dev.flush_cache()
        if r >= 10:
            events.append(seconds)
            walls.append(t1 - t0)
    dev.sync_all()
    return events, walls


def one_process(library: str, dataset: str, trace: bool, flush_mode: str, reps: int) -> dict:
    """Both ways of timing, compress and decompress, in this process (tracing on or off from its start), each call
    after the flush flush_mode."""
    from szagents.backends.child import device_trace

    if not trace:
        device_trace.DeviceTrace.start = classmethod(lambda cls: (None, "tracing off for this measurement"))
    import cupy as cp

    from szagents.backends.child.cuda_device import CudaDevice
    from szagents.backends.child.device import KernelLibrary
    from szagents.tasks.evaluate import build_problems
    from szagents.tasks.task import Suite

    sys.path.insert(0, str(HERE))
    from flush_modes import Flusher
    from kernel_tails import interleaved

    dev = CudaDevice()
    on_checks = Flusher(dev._checks)  # noqa: SLF001 - the harness's flush goes on its checks stream
    dev.flush_cache = lambda: on_checks(flush_mode)
    (problem,) = build_problems(Suite(datasets=(dataset,), relative_bounds=(1e-3,)))
    lib = KernelLibrary(ctypes.CDLL(library), "float32", dev.returned)
    x = cp.asarray(problem.data)
    n, eb, gb = x.size, float(problem.eb), x.nbytes / 1e9
    capacity = 2 * x.nbytes + (1 << 20)
    xs = [x] + [x.copy() for _ in range(PAIRS - 1)]
    outs = [cp.empty(capacity, cp.uint8) for _ in range(PAIRS)]
    ys = [cp.empty_like(x) for _ in range(PAIRS)]
    sizes = [0] * PAIRS
    for i in range(PAIRS):
        status = lib.compress(xs[i].data.ptr, n, eb, outs[i].data.ptr, capacity, dev.stream())
        dev.sync_all()
        assert status == 0, f"sz_compress returned {status}"
        sizes[i] = lib.out_bytes
    calls = {
        "compress": lambda i: lib.compress(xs[i].data.ptr, n, eb, outs[i].data.ptr, capacity, dev.stream()),
        "decompress": lambda i: lib.decompress(outs[i].data.ptr, sizes[i], n, eb, ys[i].data.ptr, dev.stream()),
    }
    figures: dict = {"trace": trace, "trace_note": dev.trace_note}
    for role, fn in calls.items():
        # the null call the parent's allowance rests on, down the same path (the parent calibrates it before the
        # library is loaded; here only its wall matters), then the real call, each timed by the host as well
        _, null_walls = _harness_path(dev, lambda i: dev.null_call(role == "compress"), reps)
        dev.begin_case()
        events, walls = _harness_path(dev, fn, reps)
        figures[f"{role}_wall_null"], figures[f"{role}_wall"] = _stats(null_walls, gb), _stats(walls, gb)
        figures[f"{role}_harness_events"] = _stats(events, gb)
        report = dev.trace_report(reps)
        if "spans" in report:
            figures[f"{role}_harness_cupti"] = _stats(report["spans"], gb)
            figures[f"{role}_outside"] = report["outside"]["count"]
        # kernel against kernel on the ABI stream (the flush there too), as gpu_steadiness.py's reference
        stream = cp.cuda.ExternalStream(dev.stream())
        on_abi = Flusher(stream)
        pairs = itertools.cycle(range(PAIRS))
        times = interleaved(["call"], lambda _: on_abi(flush_mode), lambda _: fn(next(pairs)), stream, reps)["call"]
        figures[f"{role}_events"] = _stats([ms / 1e3 for ms in times], gb)
        del on_abi
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernel", default="szp")
    parser.add_argument("--variant", default=None)
    parser.add_argument("--dataset", default="climate")
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--trace", default="off,on", help="comma-separated: CUPTI tracing off, on")
    parser.add_argument("--flushes", default="write", help="comma-separated, of write, read, both")
    parser.add_argument("--log", type=Path)
    parser.add_argument("--one", nargs=3, metavar=("LIBRARY", "TRACE", "FLUSH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        library, trace, flush_mode = args.one
        print(json.dumps(one_process(library, args.dataset, trace == "on", flush_mode, args.reps)))
        return 0
    from szagents.backends.cuda import CudaBackend
    from szagents.tasks.evaluate import kernel_spec
    from szagents.tasks.task import load_kernel

    info = load_kernel(args.kernel)
    spec = kernel_spec(info, args.variant)
    lines = []
    with tempfile.TemporaryDirectory() as work:
        build = CudaBackend().compile([info.source_path("reference_cu")], spec, Path(work))
        if not build.ok:
            print(build)
            return 1
        for flush_mode, trace in itertools.product(args.flushes.split(","), args.trace.split(",")):
            done = subprocess.run([sys.executable, __file__, "--kernel", args.kernel, "--dataset", args.dataset,
                                   "--reps", str(args.reps), "--one", str(build.library), trace, flush_mode],
                                  capture_output=True, text=True)
            label = f"{args.kernel} {args.variant or '-'} {args.dataset} flush {flush_mode:>5} trace {trace:>3}"
            if done.returncode != 0:
                lines.append(f"{label}: failed: {done.stderr[-1500:]}")
                continue
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            for role in ("compress", "decompress"):
                for way in ("harness_events", "harness_cupti", "events"):
                    s = figures.get(f"{role}_{way}")
                    if s:
                        lines.append(f"{label} {role:>10} {way:>15}: median {s['median_us']:8.2f} us ({s['gbps']:7.1f} GB/s) p90 "
                                     f"{s['p90_us']:8.2f} max {s['max_us']:8.2f} CV {s['cv']:.1%}")
                if f"{role}_wall" in figures:
                    real, null = figures[f"{role}_wall"]["median_us"], figures[f"{role}_wall_null"]["median_us"]
                    span = (figures.get(f"{role}_harness_cupti") or figures[f"{role}_harness_events"])["median_us"]
                    lines.append(f"{'':>40} {role} host wall per call: {real:.1f} us, a null call's {null:.1f} us; "
                                 f"the difference {real - null:.1f} us against the call's {span:.1f} us (the parent's "
                                 f"floor rests on these agreeing)")
                if f"{role}_outside" in figures:
                    lines.append(f"{'':>40} {role} work outside the windows: {figures[f'{role}_outside']}")
    text = "\n".join(lines)
    print(text)
    if args.log:
        with args.log.open("a") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
