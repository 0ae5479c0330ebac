"""Orchestration overhead per iteration (LLM call) with the scripted model, excluding tool time.

A scripted agent makes N calls, each asking for one cheap tool (list_files), on a translate task
(no baseline harness run), with the default SQLite checkpointer and the JSONL trajectory. The
overhead is (time from the first node to run_end - time inside tools) / N: graph steps,
checkpoint writes, event logging, prompt building and the scripted model itself.

    python bench/orchestration_overhead.py [--calls 100] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from datetime import datetime
from pathlib import Path

from szagents.roles.team import Team
from szagents.run import RunConfig, start_run
from szagents.tasks.task import Budgets
from szagents.trajectory import read_run


def _script(folder: Path, calls: int) -> Path:
    steps = [{"content": f"step {i}", "tool_calls": [{"name": "list_files", "args": {}}]} for i in range(calls)]
    path = folder / "overhead.json"
    path.write_text(json.dumps({"description": "cheap tool calls only", "steps": steps}))
    return path


def measure(calls: int, folder: Path, index: int) -> tuple[float, float]:
    """(overhead ms per call, tool ms per call) of one run."""
    config = RunConfig(task="szx-translate-cpu", team=Team.single(f"scripted:{_script(folder, calls)}"),
                       runs_dir=folder, run_id=f"run{index}", budgets=Budgets(iterations=calls))
    outcome = start_run(config)
    events = read_run(outcome.run_dir)
    first = next(e for e in events if e.event == "node_enter")
    end = next(e for e in events if e.event == "run_end")
    span = (datetime.fromisoformat(end.ts) - datetime.fromisoformat(first.ts)).total_seconds()
    tools = sum(e.duration_s for e in events if e.event == "tool_call")
    count = sum(1 for e in events if e.event == "llm_call")
    return (span - tools) / count * 1e3, tools / count * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        results = [measure(args.calls, Path(tmp), i) for i in range(args.repeats)]
    overheads = [r[0] for r in results]
    print(f"{args.calls} scripted LLM calls x {args.repeats} runs (SQLite checkpointer, JSONL trajectory):")
    print(f"  orchestration overhead per iteration: median {statistics.median(overheads):.2f} ms "
          f"[{min(overheads):.2f}-{max(overheads):.2f}] (goal <= 20 ms)")
    print(f"  tool time per iteration (list_files, excluded): median {statistics.median(r[1] for r in results):.2f} ms")


if __name__ == "__main__":
    main()
