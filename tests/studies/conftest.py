"""Study helpers: study files of sleeping scripted models, the `szagents study` child process, trajectory checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest


SCRIPT = Path(__file__).resolve().parent / "one_submission.json"
# Real LLM calls take 2-20 s; scaled down 10x (0.2-2 s) so the 24-run study fits in CI.
SLEEPY_MODEL = f"latency:0.2-2:scripted:{SCRIPT}"


def write_study(folder: Path, *, repeats: int = 3, concurrency: int = 8, extra: str = "",
                tasks: tuple[str, ...] = ("szx-optimize-cpu", "szx-translate-cpu"),
                tiers: tuple[str, ...] = ("user", "expert"), teams: tuple[str, ...] = ("single", "multi"),
                model: str = SLEEPY_MODEL) -> Path:
    """A study file in folder; runs go to folder/runs."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "study.toml"
    path.write_text(
        f'[study]\nname = "sleepy"\nruns_dir = "runs"\nrepeats = {repeats}\nbudget = "iterations=4"\n'
        f"quick = true\nconcurrency = {concurrency}\n{extra}\n"
        f"[grid]\ntask = {json.dumps(list(tasks))}\nmodel = {json.dumps([model])}\n"
        f"tier = {json.dumps(list(tiers))}\nteam = {json.dumps(list(teams))}\n"
    )
    return path


def study_cli(*args: str, slots: Path, **kwargs) -> subprocess.Popen:
    """`szagents study ...` as a child process in its own session (so a test can kill all of it)."""
    env = {**os.environ, "SZAGENTS_BENCH_SLOTS": str(slots)}
    return subprocess.Popen([sys.executable, "-m", "szagents.cli", "study", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, **kwargs)


def events(run_dir: Path) -> list[dict]:
    """The complete JSON lines of a run's trajectory."""
    found = []
    for line in (run_dir / "trajectory.jsonl").read_text().splitlines():
        try:
            found.append(json.loads(line))
        except ValueError:
            pass
    return found


def ts(text: str) -> datetime:
    """An event or hold timestamp."""
    return datetime.fromisoformat(text)


def services_missing(need: str) -> str:
    """A skip reason for a test whose system daemons are missing: what it needs, and whether CI failed to install it."""
    ci = os.environ.get("SZAGENTS_CI_SERVICES")
    return f"{ci}: {need}" if ci else need


def read_holds(path: Path) -> list[dict]:
    """Benchmark slot holds, one JSON object a line."""
    return [json.loads(line) for line in path.read_text().splitlines()]


def assert_benchmarks_never_overlap(runs: Path, holds: list[dict], at_least: int) -> None:
    """Per (node,) device the slot holds are disjoint, and every benchmark in a trajectory lies in a hold of
    its own run that began after the node that benchmarked started and ended before the event was written."""
    by_device: dict[str, list[dict]] = {}
    for hold in holds:
        by_device.setdefault(f"{hold.get('node_id', 'local')}/{hold['device']}", []).append(hold)
    for device, group in by_device.items():
        group.sort(key=lambda h: ts(h["acquired"]))
        for before, after in zip(group, group[1:]):
            assert ts(before["released"]) <= ts(after["acquired"]), f"two benchmarks at once on {device}"
    checked = 0
    for run_dir in (p for p in runs.iterdir() if (p / "trajectory.jsonl").exists()):
        stream = events(run_dir)
        for i, event in enumerate(stream):
            if event["event"] != "benchmark":
                continue
            enter = max(ts(e["ts"]) for e in stream[:i] if e["event"] == "node_enter")
            mine = [h for h in holds if h["label"] == str(run_dir / "workspace")
                    and enter <= ts(h["acquired"]) and ts(h["released"]) <= ts(event["ts"])]
            assert mine, f"benchmark at {event['ts']} in {run_dir.name} held no slot"
            checked += 1
    assert checked >= at_least



@pytest.fixture(scope="session")
def cluster():
    """A local Ray cluster: one head node with 3 worker CPUs, shut down at the end of the session. Its tests share
    it (each study runs in a namespace of its own) and are marked xdist_group("ray"), so it starts once (about
    7 CPU-seconds a start)."""
    cluster_utils = pytest.importorskip("ray.cluster_utils", reason="needs the ray extra")
    made = cluster_utils.Cluster(initialize_head=True, head_node_args={"num_cpus": 3, "include_dashboard": False})
    try:
        yield made.address
    finally:
        made.shutdown()
