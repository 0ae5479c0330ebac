"""Time `szagents report` on N synthetic run folders (default 100).

The runs are written by `tests/analysis/synthetic.py` (`write_sweep`) through the real TrajectoryWriter:
cuda optimization runs (4-14 steps, failures, the agent's own benchmarks, 6 kB file writes) and
every fifth a Cerebras translation. Reported: the end-to-end command in a fresh interpreter (what a
user waits for, interpreter and imports included), then the in-process stages (load, tables,
figures, HTML) of the same work.

    python bench/report_speed.py [--runs 100] [--seed 0] [--keep DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from szagents.analysis import figures, load_runs, write_report
from szagents.analysis.report.html import render_html
from szagents.analysis.tables import failure_table, phase_table, runnability_table, success_table, summary_table, trace_tables

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the synthetic runs are a test helper of the checkout
from tests.analysis.synthetic import write_sweep  # noqa: E402

# Runs `szagents report` through the main app, registering the command first if the app lacks it.
_CLI = """
import sys
from szagents.cli.app import app, main
from szagents.cli.report import report_command
if "report" not in {c.name for c in app.registered_commands}:
    app.command("report")(report_command)
sys.argv = ["szagents", "report", *sys.argv[1:]]
main()
"""


def end_to_end(runs_dir: Path, out: Path) -> float:
    """Seconds for `szagents report RUNS --out OUT` in a new Python process."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CLI, str(runs_dir), "--out", str(out)], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"szagents report failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    print(done.stdout.strip())
    return elapsed


def _timed(timings: dict[str, float], stage: str, work: Callable[[], Any]) -> Any:
    """Run work, store its seconds under stage, return its result."""
    start = time.perf_counter()
    result = work()
    timings[stage] = time.perf_counter() - start
    return result


def stages(runs_dir: Path, out: Path) -> dict[str, float]:
    """Seconds per stage of the same report, in this process."""
    timings: dict[str, float] = {}
    runs = _timed(timings, "load", lambda: load_runs([runs_dir]))
    tables = _timed(timings, "tables", lambda: [
        success_table(runs), runnability_table(runs), failure_table(runs), phase_table(runs), summary_table(runs)])
    traces = _timed(timings, "trace tables", lambda: trace_tables(runs))
    made = _timed(timings, "figures (png + svg)", lambda: [
        figures.throughput_figure(runs, out), figures.iterations_figure(runs, out), figures.steps_figure(runs, out),
        figures.bandwidth_figure(runs, out), figures.first_correct_figure(runs, out),
        figures.phases_figure(runs, out)])
    _timed(timings, "html", lambda: render_html(out / "report.html", "bench", runs, tables, traces, made, []))
    _timed(timings, "write_report (all outputs)", lambda: write_report(runs, out / "whole"))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="write the runs and reports here instead of a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        start = time.perf_counter()
        folders = write_sweep(root / "runs", args.runs, args.seed)
        size = sum(f.stat().st_size for d in folders for f in d.rglob("*") if f.is_file())
        print(f"{len(folders)} synthetic runs ({size / 1e6:.1f} MB) written in {time.perf_counter() - start:.1f} s")
        total = end_to_end(root / "runs", root / "report")
        print(f"szagents report on {len(folders)} runs, end to end in a fresh process: {total:.2f} s")
        for stage, seconds in stages(root / "runs", root / "stages").items():
            print(f"  {stage:<28} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
