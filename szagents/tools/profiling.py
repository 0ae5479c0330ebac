"""The profile tool: a backend hook, with Nsight Compute (ncu) as the built-in profiler for cuda.

A backend may define `profile(build, spec, problem, workdir) -> str`; that is used first. Otherwise
a built-in profiler registered for the backend's name is used, and where there is none the tool
says clearly that profiling is not available.
"""

from __future__ import annotations

import csv
import json
import shutil
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Protocol

import numpy as np
from langchain_core.tools import ToolException

from szagents.backends.protocol import KernelSpec, Problem
from szagents.backends.results import CompileResult
from szagents.backends.build.compiler import read_library
from szagents.backends.sandbox import Limits, SandboxSpec, run_limited, tail
from szagents.paths import cache_dir
from szagents.tools.context import ToolContext
from szagents.tools.events import compile_event
from szagents.tools.formatting import format_compile
from szagents.tools.kernel import check_ready

__all__ = ["Profiler", "NcuProfiler", "BUILTIN_PROFILERS", "find_profiler", "profile_workspace", "summarize_ncu"]

_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
_INSIDE = "/sandbox/profile"  # where the profiled run sees its input, library and request
MARKER = "szagents_decompress_begins"  # kernel the driver launches between the two calls
METRICS = {
    "gpu__time_duration.sum": "time",
    "dram__throughput.avg.pct_of_peak_sustained_elapsed": "DRAM %",
    "sm__throughput.avg.pct_of_peak_sustained_elapsed": "SM %",
    "sm__warps_active.avg.pct_of_peak_sustained_active": "occupancy %",
    "launch__registers_per_thread": "regs",
}


class Profiler(Protocol):
    """Profiles one compress + decompress of a built kernel; returns a short report."""

    def profile(self, build: CompileResult, spec: KernelSpec, problem: Problem, workdir: Path) -> str: ...


def _row_value(row: dict[str, str], key: str) -> float:
    try:
        return float(row.get(key, "").replace(",", ""))
    except ValueError:
        return 0.0


def _kernel_name(raw: str) -> str:
    """'void encode<float>(const float *, int)' -> 'encode<float>', cut to 40 characters."""
    name = raw.removeprefix("void ").split("(", 1)[0].strip() or raw
    return name[:40]


def summarize_ncu(csv_text: str) -> str:
    """Per kernel and phase: launches, GPU time, DRAM/SM throughput, occupancy, registers."""
    lines = [ln for ln in csv_text.splitlines() if ln.startswith('"')]
    rows = [r for r in csv.DictReader(lines) if r.get("ID", "").isdigit()]
    if not rows:
        return "ncu produced no kernel measurements"
    unit = next(csv.DictReader(lines)).get("gpu__time_duration.sum", "nsecond")
    scale = {"nsecond": 1e-3, "usecond": 1.0, "msecond": 1e3, "second": 1e6}.get(unit, 1e-3)
    stats: dict[tuple[str, str], list[dict[str, str]]] = defaultdict(list)
    phase = "compress"
    for row in rows:
        name = row.get("Kernel Name", "?")
        if name.startswith(MARKER):
            phase = "decompress"
            continue
        stats[(phase, _kernel_name(name))].append(row)
    total = sum(_row_value(r, "gpu__time_duration.sum") for group in stats.values() for r in group) * scale
    out = [f"{'phase':<10} {'kernel':<40} {'launches':>8} {'time us':>9} {'share%':>6} {'DRAM %':>6} "
           f"{'SM %':>5} {'occup%':>6} {'regs':>4} {'block':>12}"]
    for (ph, name), group in stats.items():
        t = sum(_row_value(r, "gpu__time_duration.sum") for r in group) * scale
        mean = {k: sum(_row_value(r, k) for r in group) / len(group) for k in METRICS}
        out.append(
            f"{ph:<10} {name:<40} {len(group):>8} {t:>9.1f} {100 * t / total if total else 0:>6.1f} "
            f"{mean['dram__throughput.avg.pct_of_peak_sustained_elapsed']:>6.1f} "
            f"{mean['sm__throughput.avg.pct_of_peak_sustained_elapsed']:>5.1f} "
            f"{mean['sm__warps_active.avg.pct_of_peak_sustained_active']:>6.1f} "
            f"{mean['launch__registers_per_thread']:>4.0f} {group[0].get('Block Size', '?'):>12}"
        )
    out.append(f"total GPU time {total:.1f} us (kernels only: host work, allocations and gaps between launches "
               "are not included). DRAM % near 100 means memory-bound; low DRAM and SM % mean latency-bound "
               "(too little parallelism, serial sections, syncs or many small launches).")
    return "\n".join(out)


class NcuProfiler:
    """Run one compress and one decompress under Nsight Compute in a limited child process."""

    def __init__(self, limits: Limits, executable: str | None = None) -> None:
        self.limits = limits
        self.executable = executable or shutil.which("ncu")

    def profile(self, build: CompileResult, spec: KernelSpec, problem: Problem, workdir: Path) -> str:
        """Kernel table of one compress + decompress of problem."""
        if self.executable is None:
            return "profile: not available here: Nsight Compute (ncu) is not on PATH; use benchmark() timings"
        with tempfile.TemporaryDirectory(dir=cache_dir("staging")) as tmp:
            staging = Path(tmp)
            staging.chmod(0o755)
            np.save(staging / "input.npy", np.ascontiguousarray(problem.data))
            (staging / "lib.so").write_bytes(read_library(build.library))  # type: ignore[arg-type]
            request = {"library": f"{_INSIDE}/lib.so", "input": f"{_INSIDE}/input.npy", "eb": problem.eb, "marker": MARKER}
            (staging / "request.json").write_text(json.dumps(request))
            for f in staging.iterdir():
                f.chmod(0o644)
            command = [self.executable, "--csv", "--page", "raw", "--metrics", ",".join(METRICS), "--launch-count",
                       "300", sys.executable, "-m", "szagents.tools._ncu_driver", f"{_INSIDE}/request.json"]
            outcome = run_limited(command, limits=self.limits, cwd=Path(workdir),
                                  env={"PYTHONPATH": _PACKAGE_PARENT, "CUPY_CACHE_DIR": "/tmp/cupy"},
                                  spec=SandboxSpec(python=True, gpu=True, mounts=((staging, _INSIDE),)))
        text = outcome.stdout + outcome.stderr
        if "ERR_NVGPUCTRPERM" in text:
            return ("profile: not available here: this machine restricts GPU performance counters "
                    "(ERR_NVGPUCTRPERM); use benchmark() timings")
        if outcome.timed_out:
            return f"profile: timed out after {self.limits.wall_seconds:g} s (does the kernel hang?)"
        head = f"profile (Nsight Compute) of one compress and one decompress of {problem.dataset}, n={problem.data.size}:"
        driver = [ln for ln in text.splitlines() if ln.startswith("driver:")]
        if outcome.returncode != 0:
            return f"{head}\nthe profiled run failed (exit {outcome.returncode}):\n{tail(text, 2000)}"
        return "\n".join([head, summarize_ncu(outcome.stdout), *driver])


BUILTIN_PROFILERS = {"ncu": NcuProfiler}  # by the name a backend gives in its requirements


def find_profiler(ctx: ToolContext) -> Profiler | None:
    """The backend's own profile hook, else the built-in profiler its requirements name, else None."""
    if callable(getattr(ctx.backend, "profile", None)):
        return ctx.backend  # type: ignore[return-value]
    factory = BUILTIN_PROFILERS.get(ctx.backend.requirements.profiler or "")
    return factory(ctx.limits.profile) if factory else None


def profile_workspace(ctx: ToolContext) -> str:
    """Compile and profile the workspace where the backend supports it; say so where it does not."""
    profiler = find_profiler(ctx)
    if profiler is None:
        return (f"profile: not supported on the {ctx.backend.name} backend; use benchmark() timings "
                "and reason about the code instead")
    check_ready(ctx, run=True)
    build = ctx.backend.compile(ctx.sources(), ctx.spec, ctx.workdir)
    ctx.sink.emit(compile_event(build, run_id=ctx.run_id, by="tool"))
    if not build.ok:
        return format_compile(build, ctx.workspace.root, ctx.limits.log_chars)
    problems = list(ctx.benchmark_problems) or list(ctx.validation_problems)
    if not problems:
        raise ToolException("error: this task has no problem to profile")
    return profiler.profile(build, ctx.spec, problems[0], ctx.workdir)
