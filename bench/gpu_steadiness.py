"""Is the cuda harness steady? Two separate harness processes against kernel-vs-kernel CUDA events.

For the SZp (plain) and SZx CUDA references at REL 1e-3 on the 25.9 MB climate field and a 256 MiB
smooth GRF, each measured as `szagents validate --bench` measures (the cuda backend's benchmark with its
default settings), in two separate processes; then, in this process, the same build called kernel
against kernel: CUDA events on one stream around each call, the harness's L2 flush (a memset of
FLUSH_BYTES) queued before it, as bench/gpu_kernels.py times, and two variants of it that mirror what the
harness does differently (the host waits for the flush before the call; 16 buffer pairs used in turn).
Prints per case the two runs' medians (GB/s), their CV, how far apart they are, and their ratio to the
kernel-vs-kernel median, whose own CV says how steady the kernel is without any harness; then PASS or
FAIL against issue 21's goals (CV <= 3 %, runs within 3 % of each other, within 10 % of kernel-vs-kernel).

    python bench/gpu_steadiness.py [--datasets climate grf_smooth:256x512x512] [--json FILE]
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
KERNELS = (("szp", "plain"), ("szx", None))
DATASETS = ("climate", "grf_smooth:256x512x512")
ROTATE = 16  # buffer pairs of the rotating kernel-vs-kernel variant


def harness_run(kernel: str, variant: str | None, dataset: str) -> dict:
    """One harness benchmark, as `validate --bench` runs it (default BenchSettings)."""
    from szagents.backends.cuda import CudaBackend
    from szagents.tasks.evaluate import build_problems, kernel_spec
    from szagents.tasks.task import Suite, load_kernel

    info = load_kernel(kernel)
    spec = kernel_spec(info, variant)
    problems = build_problems(Suite(datasets=(dataset,), relative_bounds=(1e-3,)), info.dtype)
    backend = CudaBackend()
    with tempfile.TemporaryDirectory() as work:
        build = backend.compile([info.source_path("reference_cu")], spec, Path(work))
        result = backend.benchmark(build, spec, problems, Path(work))
    if not result.ok:
        return {"error": f"{result.verdict.value}: {result.detail}"}
    case = result.cases[0]
    return {"library": str(build.library), "eb": case.eb, "n": case.n,
            "compress_gbps": case.compress_gbps, "decompress_gbps": case.decompress_gbps,
            "compress_cv": case.compress.cv, "decompress_cv": case.decompress.cv,
            "compress_host_cv": case.compress.host_cv, "coverage": case.compress.coverage,
            "trace_note": case.compress.trace_note, "time_source": [case.compress.time_source, case.decompress.time_source],
            "reps": [case.compress.repetitions, case.decompress.repetitions],
            "warmup_calls": [case.compress.warmup_calls, case.decompress.warmup_calls],
            # microseconds, compress and decompress: the child's claim, the parent's bound, the handshake taken off
            "claimed_us": _us(case, "claimed_median_seconds"), "bound_us": _us(case, "bound_median_seconds"),
            "handshake_us": _us(case, "handshake_seconds"),
            "phases_us": [case.compress.phases_us, case.decompress.phases_us]}


def _us(case, field: str) -> list[float | None]:
    values = (getattr(case.compress, field), getattr(case.decompress, field))
    return [None if v is None else round(v * 1e6, 1) for v in values]


def kernel_vs_kernel(library: str, kernel: str, variant: str | None, dataset: str, eb: float) -> dict:
    """The same build, timed call against call with CUDA events and the same L2 flush."""
    import cupy as cp

    sys.path.insert(0, str(HERE))
    from gpu_kernels import GpuCodec, Variant, time_call

    from szagents.tasks.evaluate import build_problems
    from szagents.tasks.task import Suite

    (problem,) = build_problems(Suite(datasets=(dataset,), relative_bounds=(1e-3,)))
    codec = GpuCodec(Path(library), Variant(kernel, "reference", variant or ("ra" if kernel == "szx" else "plain")))
    x = cp.asarray(problem.data)
    stream = cp.cuda.Stream(non_blocking=True)
    from szagents.backends.child.cuda_device import flush_bytes

    flush = cp.empty(flush_bytes(int(cp.cuda.runtime.getDeviceProperties(0)["l2CacheSize"])), cp.uint8)  # the harness's
    out = cp.empty(codec.capacity(x.size), cp.uint8)
    status, nbytes = codec.compress(x, eb, out, stream)
    stream.synchronize()
    y = cp.empty_like(x)
    gb = x.nbytes / 1e9
    figures = {"status": status}
    # "": the call queued behind the flush on one buffer pair (the goal's reference); "_wait": the host waits
    # for the flush first, as the harness does; "_rotate": ROTATE buffer pairs in turn, as the harness lays out
    # a fresh pair per repetition
    xs = [x] + [x.copy() for _ in range(ROTATE - 1)]
    outs = [out] + [out.copy() for _ in range(ROTATE - 1)]
    ys = [y] + [cp.empty_like(x) for _ in range(ROTATE - 1)]
    for suffix, wait, pairs in (("", False, 1), ("_wait", True, 1), ("_rotate", False, ROTATE)):
        turn = itertools.cycle(range(pairs))  # each call takes the next buffer pair

        def compress() -> None:
            i = next(turn)
            codec.compress(xs[i], eb, outs[i], stream)

        def decompress() -> None:
            i = next(turn)
            codec.decompress(outs[i], nbytes, x.size, eb, ys[i], stream)

        comp = time_call(compress, stream, flush, reps=50, runs=3, warmup=10, wait_for_flush=wait)
        dec = time_call(decompress, stream, flush, reps=50, runs=3, warmup=10, wait_for_flush=wait)
        figures[f"compress_gbps{suffix}"] = gb / (comp.median_ms() * 1e-3)
        figures[f"decompress_gbps{suffix}"] = gb / (dec.median_ms() * 1e-3)
        figures[f"compress_cv{suffix}"], figures[f"decompress_cv{suffix}"] = comp.cv(), dec.cv()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--json", type=Path)
    parser.add_argument("--one", nargs=3, metavar=("KERNEL", "VARIANT", "DATASET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        kernel, variant, dataset = args.one
        print(json.dumps(harness_run(kernel, None if variant == "-" else variant, dataset)))
        return 0
    rows, failed = [], 0
    for dataset in args.datasets:
        for kernel, variant in KERNELS:
            runs = []
            for _ in range(2):  # separate processes, as two `validate --bench` calls
                done = subprocess.run([sys.executable, __file__, "--one", kernel, variant or "-", dataset],
                                      capture_output=True, text=True)
                lines = done.stdout.strip().splitlines()
                runs.append(json.loads(lines[-1]) if done.returncode == 0 and lines else {"error": done.stderr[-800:]})
            if any("error" in r for r in runs):
                print(f"{kernel} {dataset}: {[r.get('error') for r in runs]}")
                failed += 1
                continue
            ref = kernel_vs_kernel(runs[0]["library"], kernel, variant, dataset, runs[0]["eb"])
            row = {"kernel": kernel, "dataset": dataset, "runs": runs, "kernel_vs_kernel": ref}
            rows.append(row)
            failed += _print_row(row)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    print("steadiness:", "PASS" if not failed else f"FAIL ({failed} case(s) off a goal)")
    return 1 if failed else 0


def _print_row(row: dict) -> int:
    bad = 0
    for direction in ("compress", "decompress"):
        medians = [r[f"{direction}_gbps"] for r in row["runs"]]
        cvs = [r[f"{direction}_cv"] or 0.0 for r in row["runs"]]
        apart = abs(medians[0] - medians[1]) / max(medians)
        versus = float(np.median(medians)) / row["kernel_vs_kernel"][f"{direction}_gbps"]
        ok = max(cvs) <= 0.03 and apart <= 0.03 and abs(versus - 1) <= 0.10
        bad += not ok
        print(f"{row['kernel']:>4} {row['dataset']:>24} {direction:>10}: runs {medians[0]:7.1f} / {medians[1]:7.1f} GB/s "
              f"(CV {cvs[0]:.1%} / {cvs[1]:.1%}, {apart:.1%} apart), kernel-vs-kernel "
              f"{row['kernel_vs_kernel'][f'{direction}_gbps']:7.1f} (x{versus:.3f}) "
              f"[{row['runs'][0]['coverage']}, sources {row['runs'][0]['time_source']}, reps {row['runs'][0]['reps']}, "
              f"warm {row['runs'][0]['warmup_calls']}, host CV {row['runs'][0]['compress_host_cv'] or 0:.1%}, "
              f"us claimed/bound/handshake {[(r['claimed_us'], r['bound_us'], r['handshake_us']) for r in row['runs']]}] "
              f"{'ok' if ok else 'OFF GOAL'}")
        kvk = row["kernel_vs_kernel"]
        print(f"{'':>41} kernel-vs-kernel CV {kvk[f'{direction}_cv']:.1%}; variants: host waits for the flush "
              f"{kvk[f'{direction}_gbps_wait']:7.1f} (CV {kvk[f'{direction}_cv_wait']:.1%}), {ROTATE} buffer pairs "
              f"in turn {kvk[f'{direction}_gbps_rotate']:7.1f} GB/s (CV {kvk[f'{direction}_cv_rotate']:.1%})")
        phases = row["runs"][0]["phases_us"][0 if direction == "compress" else 1]
        if phases:
            print(f"{'':>41} round trip, median us (wake/flush/call/settle/reply): calls {phases['calls']}, "
                  f"null {phases['null']}")
    return bad


if __name__ == "__main__":
    sys.exit(main())
