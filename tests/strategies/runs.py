"""Helpers of the search-run tests: configs, a run killed with SIGKILL mid-search, the trajectory's facts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from szagents.roles.team import Team
from szagents.strategies import CascadeConfig, EvolveConfig, StrategyConfig
from szagents.run.config import RunConfig
from szagents.tasks.task import Budgets
from szagents.trajectory import read_run

SCRIPTS = {"evolve": "scripted:evolve_szx_cpu", "best-of-n": "scripted:demo"}
SMALL = EvolveConfig(population=12, archive=6, islands=2, generation_size=2, migration_interval=2)


def search_config(tmp_path: Path, kind: str, calls: int, model: str | None = None, run_id: str = "search",
                  task: str = "szx-optimize-cpu", screen: bool = False, **changes) -> RunConfig:
    """A quick search of kind on task with `calls` LLM calls in all. screen: the cascade's short benchmark before
    the full one (off unless a test is about it: each screen is a harness child more per correct candidate)."""
    strategy = StrategyConfig(kind=kind, n=2, concurrency=2, evolve=SMALL, cascade=CascadeConfig(screen=screen))
    return RunConfig(task=task, team=Team.single(model or SCRIPTS[kind]), quick=True, runs_dir=tmp_path,
                     run_id=run_id, budgets=Budgets(iterations=calls, tokens=10**8, wall_seconds=1200),
                     strategy=strategy, **changes)


def killed_after(config: RunConfig, calls: int, timeout_s: float = 300) -> Path:
    """Start config's run in a child process and SIGKILL it once `calls` llm_call events are logged."""
    code = ("import sys; from szagents.run.config import RunConfig; from szagents.run.graph_run import start_run; "
            "start_run(RunConfig.model_validate_json(sys.argv[1]))")
    child = subprocess.Popen([sys.executable, "-c", code, config.model_dump_json()], env=os.environ.copy(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run_dir = Path(config.runs_dir) / config.run_id
    path = run_dir / "trajectory.jsonl"
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline and child.poll() is None:
            if path.exists() and path.read_text().count('"event":"llm_call"') >= calls:
                break
            time.sleep(0.05)
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGKILL)
        child.wait(30)
    return run_dir


def calls_of(run_dir: Path) -> Counter:
    """(candidate, role, iteration) -> how many llm_call events the trajectory holds for it."""
    return Counter((e.candidate_id, e.role, e.iteration) for e in read_run(run_dir) if e.event == "llm_call")


def lineage(run_dir: Path) -> dict[str, tuple]:
    """candidate -> (parent, inspirations, edit) as logged."""
    return {e.candidate_id: (e.parent, tuple(e.inspirations), e.edit) for e in read_run(run_dir) if e.event == "candidate"}


def code_by_candidate(run_dir: Path) -> dict[str, list[str]]:
    """candidate -> the sha256 of its revisions, in order."""
    found: dict[str, list[str]] = {}
    for e in read_run(run_dir):
        if e.event == "revision":
            found.setdefault(e.candidate_id, []).append(e.sha256)
    return found
