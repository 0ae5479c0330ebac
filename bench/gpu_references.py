"""Benchmark the CUDA references and baselines through the cuda backend (the agents' harness).

For each kernel variant, source (reference.cu, baseline.cu) and dataset, runs the harness
benchmark `--runs` times in separate processes (each: warm-up, >= 20 timed repetitions with the L2
flushed before each, CUDA events on the ABI stream + device sync) and prints the median over runs
of the per-run medians, the min-max over runs, the ratio, and the fraction of the measured
device-to-device copy bandwidth. Goals (issue 3, H100, REL 1e-3) are printed beside: cuSZp
measured 347/286 GB/s plain (CR 4.12) and 398/293 outlier (CR 10.05) on the 256 MiB smooth GRF.

    python bench/gpu_references.py [--datasets grf_smooth climate] [--rel 1e-3] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from szagents.backends.cuda import CudaBackend
from szagents.backends.protocol import BenchSettings
from szagents.tasks.evaluate import build_problems, kernel_spec
from szagents.tasks.task import Suite, load_kernel

CUSZP_H100 = {("szp", "plain"): (347.0, 286.0), ("szp", "outlier"): (398.0, 293.0)}


def run_source(backend: CudaBackend, kernel: str, variant: str, role: str, problems, runs: int, work: Path) -> None:
    info = load_kernel(kernel)
    spec = kernel_spec(info, variant)
    build = backend.compile([info.source_path(role)], spec, work)
    if not build.ok:
        print(f"{kernel}/{variant} {info.sources[role]}: compile_error\n{build.log[-2000:]}")
        return
    checked = backend.validate(build, spec, problems, work)
    if not checked.ok:
        print(f"{kernel}/{variant} {info.sources[role]}: {checked.verdict.value}: {checked.detail}")
        return
    settings = BenchSettings(warmup=3, min_reps=20, max_reps=200, min_seconds=0.2)
    results = [backend.benchmark(build, spec, problems, work, settings) for _ in range(runs)]
    for index, problem in enumerate(problems):
        cases = [r.cases[index] for r in results]
        comp = [c.compress_gbps for c in cases]
        dec = [c.decompress_gbps for c in cases]
        goal = CUSZP_H100.get((kernel, variant))
        speedup = f"  x cuSZp(H100) {statistics.median(comp) / goal[0]:.2f} / {statistics.median(dec) / goal[1]:.2f}" if goal and "grf_smooth" in problem.dataset else ""
        print(
            f"{kernel:>4} {variant:>8} {info.sources[role]:>13} {problem.dataset:>28} "
            f"CR {cases[0].ratio:6.2f}  comp {statistics.median(comp):8.1f} [{min(comp):.1f}-{max(comp):.1f}] GB/s "
            f"({statistics.median(c.compress_bandwidth_fraction for c in cases):.0%} of bw)  "
            f"dec {statistics.median(dec):8.1f} [{min(dec):.1f}-{max(dec):.1f}] GB/s "
            f"({statistics.median(c.decompress_bandwidth_fraction for c in cases):.0%} of bw){speedup}"
        )
    env = results[0].environment
    if env:
        print(f"     device {env.device}, copy bandwidth {env.memory_bandwidth_gbps:.0f} GB/s (read+write)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["grf_smooth", "climate"])
    parser.add_argument("--rel", type=float, nargs="+", default=[1e-3])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--kernels", nargs="+", default=["szp", "szx"])
    parser.add_argument("--sources", nargs="+", default=["reference_cu", "baseline_cu"])
    args = parser.parse_args()
    backend = CudaBackend()
    state = backend.availability()
    if not state.available:
        raise SystemExit(f"cuda backend unavailable: {state.reason} ({state.fix})")
    problems = build_problems(Suite(datasets=tuple(args.datasets), relative_bounds=tuple(args.rel)))
    with tempfile.TemporaryDirectory() as work:
        for kernel in args.kernels:
            for variant in load_kernel(kernel).variants:
                for role in args.sources:
                    run_source(backend, kernel, variant, role, problems, args.runs, Path(work))


if __name__ == "__main__":
    main()
