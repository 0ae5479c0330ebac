"""Benchmark the numpy codecs and the C references on the study's 25.9 MB field.

Prints median throughput (decimal GB/s) and compression ratio at REL 1e-2/1e-3/1e-4 for:
the numpy codec, kernels/<k>/serial.c (the named baseline) and kernels/<k>/reference.c, with the
speed-up of each over serial.c measured in the same run; then the harness turnaround of one
fresh compile + validate + benchmark, and of a cached build.

    python bench/cpu_references.py [--dataset climate] [--rel 1e-3 ...] [--kernel szx ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from szagents.backends.cpu import CpuBackend
from szagents.backends.protocol import BenchSettings, Problem
from szagents.codecs import get_codec
from szagents.tasks.datasets import get_dataset
from szagents.tasks.evaluate import build_problems, evaluate, kernel_spec
from szagents.tasks.task import load_kernel


def numpy_codec(codec, data: np.ndarray, eb: float, reps: int = 3) -> tuple[float, float, float]:
    """(compress GB/s, decompress GB/s, ratio) of a numpy codec, median of reps."""
    comp, decomp = [], []
    for _ in range(reps):
        start = time.perf_counter()
        stream = codec.compress(data, eb)
        comp.append(time.perf_counter() - start)
        start = time.perf_counter()
        codec.decompress(stream, data.size, eb, data.dtype)
        decomp.append(time.perf_counter() - start)
    return data.nbytes / statistics.median(comp) / 1e9, data.nbytes / statistics.median(decomp) / 1e9, data.nbytes / len(stream)


def bench_kernel(name: str, dataset: str, rels: list[float], workdir: Path) -> None:
    info = load_kernel(name)
    data = np.ascontiguousarray(get_dataset(dataset).load().ravel()).astype(np.float32)
    backend = CpuBackend()
    settings = BenchSettings(min_seconds=1.0, min_reps=5)
    for variant in info.variants:
        spec = kernel_spec(info, variant)
        codec = get_codec(info.codec, **spec.options)
        print(f"\n## {name} ({variant}) on {dataset} {data.shape[0]} values, {data.nbytes / 1e6:.1f} MB, "
              f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, {os.cpu_count()} cores")
        print(f"{'REL':>6} {'source':>12} {'ratio':>7} {'comp GB/s':>10} {'dec GB/s':>10} {'comp x':>7} {'dec x':>7}")
        for rel in rels:
            eb = rel * float(data.max() - data.min())
            problems = [Problem(f"{dataset}@{rel:g}", data, eb)]
            rows = {}
            for role in ("serial_c", "reference_c"):
                result = evaluate(backend, [info.source_path(role)], spec, workdir, problems, problems, settings)
                assert result.correct and result.benchmark and result.benchmark.ok, result
                case = result.benchmark.cases[0]
                rows[info.sources[role]] = (case.compress_gbps, case.decompress_gbps, case.ratio)
            rows["numpy codec"] = numpy_codec(codec, data, eb)
            base = rows["serial.c"]
            for label, (c, d, r) in rows.items():
                print(f"{rel:>6g} {label:>12} {r:>7.2f} {c:>10.3f} {d:>10.3f} {c / base[0]:>7.2f} {d / base[1]:>7.2f}")


def turnaround(dataset: str) -> None:
    """Seconds for one fresh compile + validate + benchmark of the field, and for a cached build."""
    info = load_kernel("szx")
    spec = kernel_spec(info)
    problems = build_problems(info.benchmark.model_copy(update={"datasets": (dataset,)}))
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as work:
        os.environ["SZAGENTS_CACHE"] = cache
        settings = BenchSettings(min_seconds=0.3, min_reps=3)
        start = time.perf_counter()
        first = evaluate(CpuBackend(), [info.source_path("reference_c")], spec, Path(work), problems, problems, settings)
        fresh = time.perf_counter() - start
        start = time.perf_counter()
        again = CpuBackend().compile([info.source_path("reference_c")], spec, Path(work))
        cached = time.perf_counter() - start
    print(f"\nharness turnaround (szx reference.c, {dataset}, time floor {settings.min_seconds:g} s per direction): "
          f"compile {first.build.compile_seconds:.2f} s + validate and benchmark in one isolated process "
          f"{first.validation.wall_seconds:.2f} s = {fresh:.2f} s end to end; "
          f"cached build reused in {cached * 1e3:.1f} ms (cached={again.cached})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="climate")
    parser.add_argument("--rel", type=float, nargs="+", default=[1e-2, 1e-3, 1e-4])
    parser.add_argument("--kernel", nargs="+", default=["szp", "szx"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        for name in args.kernel:
            bench_kernel(name, args.dataset, args.rel, Path(work))
    turnaround(args.dataset)


if __name__ == "__main__":
    main()
