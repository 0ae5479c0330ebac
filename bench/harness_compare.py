"""The harness against itself: sandbox vs rlimits-only, this harness vs an older one, spread of repeats.

For each reference kernel on the study's 25.9 MB climate field (REL 1e-3; on cuda also the 256 MiB
smooth GRF), interleaved in one run:
  - turnaround of one fresh compile + validate (the task's validation suite) + quick benchmark
    (0.1 s floor), with the bubblewrap sandbox and with rlimits only, median of --repeats;
  - throughput through the harness in both isolation modes, and through an OLDER harness (a
    szagents package folder given with --old, run in a subprocess), median of --repeats;
  - the spread (CV of the medians) over the repeats.

    python bench/harness_compare.py --device cpu --repeats 5 --old .whl/old_harness
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from szagents.backends.protocol import BenchSettings, Problem
from szagents.backends.registry import get_backend
from szagents.tasks.datasets import get_dataset
from szagents.tasks.evaluate import build_problems, evaluate, kernel_spec
from szagents.tasks.task import load_kernel

QUICK = BenchSettings(warmup=2, min_reps=5, max_reps=200, min_seconds=0.1)
FULL = BenchSettings(warmup=3, min_reps=10, max_reps=200, min_seconds=0.3)
SOURCES = {"cpu": ("reference_c", ".c"), "cuda": ("reference_cu", ".cu")}

_OLD = """
import json, sys, numpy as np
from pathlib import Path
from szagents.backends.registry import get_backend
from szagents.backends.protocol import BenchSettings, Problem
from szagents.tasks.evaluate import kernel_spec
from szagents.tasks.task import load_kernel
args = json.loads(sys.argv[1])
info = load_kernel(args["kernel"]); spec = kernel_spec(info, args["variant"])
backend = get_backend(args["device"])
data = np.load(args["data"]); problem = Problem(args["dataset"], data, args["eb"])
build = backend.compile([info.source_path(args["role"])], spec, Path(args["work"]))
out = []
for _ in range(args["repeats"]):
    r = backend.benchmark(build, spec, [problem], Path(args["work"]), BenchSettings(**args["settings"]))
    out.append([r.cases[0].compress_gbps, r.cases[0].decompress_gbps] if r.ok else None)
print("RESULT " + json.dumps(out))
"""


def _field(name: str) -> np.ndarray:
    return np.ascontiguousarray(get_dataset(name).load().ravel()).astype(np.float32)


def _cv(values: list[float]) -> float:
    return statistics.pstdev(values) / statistics.mean(values) if len(values) > 1 and statistics.mean(values) else 0.0


def turnaround(device: str, kernel: str, variant: str | None, mode: str, problem: Problem, work: Path) -> float:
    """Seconds of one fresh compile + validate + quick benchmark (a new build cache each time)."""
    info = load_kernel(kernel)
    spec = kernel_spec(info, variant)
    validation = build_problems(info.validation, spec.dtype)
    backend = get_backend(device)
    backend.isolation = mode
    os.environ["SZAGENTS_CACHE"] = tempfile.mkdtemp(dir=work)
    start = time.perf_counter()
    result = evaluate(backend, [info.source_path(SOURCES[device][0])], spec, work, validation, [problem], QUICK)
    seconds = time.perf_counter() - start
    assert result.correct and result.benchmark and result.benchmark.ok, (result.validation, result.benchmark)
    return seconds


def throughput(device: str, kernel: str, variant: str | None, mode: str, problem: Problem, work: Path) -> tuple[float, float, str]:
    info = load_kernel(kernel)
    spec = kernel_spec(info, variant)
    backend = get_backend(device)
    backend.isolation = mode
    build = backend.compile([info.source_path(SOURCES[device][0])], spec, work)
    result = backend.benchmark(build, spec, [problem], work, FULL)
    assert result.ok, result.detail
    case = result.cases[0]
    return case.compress_gbps, case.decompress_gbps, case.compress.time_source or "?"


def old_throughput(old: Path, device: str, kernel: str, variant: str | None, problem: Problem, work: Path,
                   repeats: int) -> list[tuple[float, float]]:
    data_path = work / "field.npy"
    np.save(data_path, problem.data)
    args = {"kernel": kernel, "variant": variant, "device": device, "data": str(data_path), "dataset": problem.dataset,
            "eb": problem.eb, "role": SOURCES[device][0], "work": str(work), "repeats": repeats,
            "settings": {k: v for k, v in FULL.model_dump().items() if k in ("warmup", "min_reps", "max_reps", "min_seconds")}}
    env = {**os.environ, "PYTHONPATH": f"{old}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "SZAGENTS_CACHE": tempfile.mkdtemp(dir=work)}
    done = subprocess.run([sys.executable, "-c", _OLD, json.dumps(args)], capture_output=True, text=True, env=env, check=False)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"old harness failed:\n{done.stderr[-2000:]}")
    return [tuple(x) for x in json.loads(line[7:]) if x]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--old", type=Path, help="folder holding an older szagents package to compare against")
    parser.add_argument("--fields", nargs="*", default=None)
    parser.add_argument("--kernels", nargs="*", default=["szx", "szp"])
    parser.add_argument("--no-turnaround", action="store_true", help="skip the compile + validate + benchmark turnaround")
    args = parser.parse_args()
    fields = args.fields or (["climate", "grf_smooth"] if args.device == "cuda" else ["climate"])
    kernels = [(k, v) for k in args.kernels for v in (load_kernel(k).variants if len(load_kernel(k).variants) > 1 else [None])]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for field in fields:
            data = _field(field)
            problem = Problem(f"{field}@rel=0.001", data, 1e-3 * float(data.max() - data.min()))
            print(f"\n## {args.device}: {field} ({data.nbytes / 1e6:.1f} MB), REL 1e-3, {args.repeats} repeats, interleaved")
            for kernel, variant in kernels:
                _report(args, kernel, variant, problem, work, field == "climate" and not args.no_turnaround)


def _report(args: argparse.Namespace, kernel: str, variant: str | None, problem: Problem, work: Path, turn: bool) -> None:
    name = f"{kernel}{'/' + variant if variant else ''}"
    rows: dict[str, list] = {"bwrap": [], "rlimits-only": [], "turn bwrap": [], "turn rlimits-only": []}
    for _ in range(args.repeats):
        for mode in ("bwrap", "rlimits-only"):
            if turn and kernel == "szx":
                rows[f"turn {mode}"].append(turnaround(args.device, kernel, variant, mode, problem, work))
            rows[mode].append(throughput(args.device, kernel, variant, mode, problem, work))
    old = old_throughput(args.old, args.device, kernel, variant, problem, work, args.repeats) if args.old else []
    for label, values in (("new, bwrap", rows["bwrap"]), ("new, rlimits-only", rows["rlimits-only"]), ("old harness", old)):
        if values:
            c, d = [v[0] for v in values], [v[1] for v in values]
            sources = sorted({v[2] for v in values}) if len(values[0]) > 2 else ["-"]
            print(f"{name:<12} {label:<18} compress {statistics.median(c):9.2f} GB/s (CV {_cv(c):5.1%})  "
                  f"decompress {statistics.median(d):9.2f} GB/s (CV {_cv(d):5.1%})  time source {','.join(sources)}")
    if rows["bwrap"] and old:
        new_c, old_c = statistics.median(v[0] for v in rows["bwrap"]), statistics.median(v[0] for v in old)
        new_d, old_d = statistics.median(v[1] for v in rows["bwrap"]), statistics.median(v[1] for v in old)
        print(f"{name:<12} new/old            compress x{new_c / old_c:.3f}  decompress x{new_d / old_d:.3f}")
    for mode in ("bwrap", "rlimits-only"):
        if rows[f"turn {mode}"]:
            t = rows[f"turn {mode}"]
            print(f"{name:<12} turnaround {mode:<13} median {statistics.median(t):.2f} s  [{min(t):.2f}-{max(t):.2f}]")


if __name__ == "__main__":
    main()
