"""Orchestration overhead per candidate of a search (best-of-n, evolve) with scripted models on the cpu backend.

The search runs as `szagents run` would run it (its launcher, SQLite checkpointer, JSONL trajectory, device gate,
benchmark slots), with the backend wrapped to record when each compile, validation and benchmark starts and ends.
The overhead is (the search's wall time - the union of those intervals) / candidates: everything but the harness
(graph steps and checkpoints, events, prompts, the scripted model, edits, revisions, the gate's waits when nothing
runs). The union, not the sum, because candidates compile and validate at once.

    python bench/search_overhead.py [--calls 8] [--repeats 3]

The wall includes what a search does once (opening the run, the starting code's measurement, run_end), so a
search of few candidates (best-of-n with N = 2) shows it spread over those few.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import szagents.run.search as launcher
from szagents.roles.team import Team
from szagents.run import RunConfig, start_run
from szagents.strategies import EvolveConfig, StrategyConfig
from szagents.tasks.task import Budgets
from szagents.trajectory import read_run

HARNESS = ("compile", "validate", "benchmark", "validate_and_benchmark", "profile")
SCRIPTS = {"best-of-n": "scripted:demo", "evolve": "scripted:evolve_szx_cpu"}


class Timed:
    """A backend that appends (method, start, end) of every harness call to a shared list."""

    def __init__(self, inner: Any, calls: list[tuple[str, float, float]]) -> None:
        self.inner, self.name, self.calls, self._lock = inner, inner.name, calls, threading.Lock()

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.inner, name)
        if name not in HARNESS:
            return method

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                with self._lock:
                    self.calls.append((name, start, time.perf_counter()))

        return timed


def union_seconds(spans: list[tuple[float, float]]) -> float:
    """Seconds covered by at least one span."""
    total, end = 0.0, float("-inf")
    for start, stop in sorted(spans):
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


def measure(kind: str, calls: int, folder: Path, index: int) -> dict[str, float]:
    """One search: wall, harness union, candidates, LLM calls, overhead per candidate (ms)."""
    spans: list[tuple[str, float, float]] = []
    checked = launcher.check_backend
    launcher.check_backend = lambda config, task: Timed(checked(config, task), spans)  # the run's own backend, timed
    strategy = StrategyConfig(kind=kind, n=2, concurrency=2, evolve=EvolveConfig(
        population=12, archive=6, islands=2, generation_size=2, migration_interval=2))
    config = RunConfig(task="szx-optimize-cpu", team=Team.single(SCRIPTS[kind]), quick=True, runs_dir=folder,
                       run_id=f"{kind}{index}", budgets=Budgets(iterations=calls, tokens=10**8, wall_seconds=1200),
                       strategy=strategy)
    try:
        start = time.perf_counter()
        outcome = start_run(config)
        wall = time.perf_counter() - start
    finally:
        launcher.check_backend = checked
    events = read_run(outcome.run_dir)
    candidates = sum(e.event == "candidate" for e in events)
    busy = union_seconds([(start, end) for _, start, end in spans])
    return {"wall_s": wall, "harness_s": busy, "candidates": candidates, "harness_calls": len(spans),
            "llm_calls": sum(e.event == "llm_call" for e in events), "overhead_ms": (wall - busy) / candidates * 1e3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=8, help="LLM calls per search (its shared iteration budget)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for kind in SCRIPTS:
            rows = [measure(kind, args.calls, Path(tmp), i) for i in range(args.repeats)]
            overhead = [r["overhead_ms"] for r in rows]
            first = rows[0]
            print(f"{kind}: {int(first['candidates'])} candidates, {int(first['llm_calls'])} LLM calls, "
                  f"{int(first['harness_calls'])} harness calls per search; {args.repeats} searches")
            print(f"  wall median {statistics.median(r['wall_s'] for r in rows):.2f} s, inside the harness "
                  f"{statistics.median(r['harness_s'] for r in rows):.2f} s")
            print(f"  orchestration overhead per candidate: median {statistics.median(overhead):.0f} ms "
                  f"[{min(overhead):.0f}-{max(overhead):.0f}]; per LLM call: median "
                  f"{statistics.median(r['overhead_ms'] * r['candidates'] / r['llm_calls'] for r in rows):.0f} ms")


if __name__ == "__main__":
    main()
