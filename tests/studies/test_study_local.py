"""A study of sleeping scripted models on the local executor: it completes, survives a kill of the whole
`szagents study` process, and never times two benchmarks on one device at once."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.studies.conftest import assert_benchmarks_never_overlap, events, read_holds, study_cli, write_study

pytestmark = pytest.mark.slow

PRICES = '["latency:*"]\ninput_per_mtok = 2.0\noutput_per_mtok = 8.0\n'


def _progress(runs: Path) -> tuple[int, int]:
    """(runs finished, runs started but not finished) as their trajectories show."""
    finished = started = 0
    for path in runs.glob("*/trajectory.jsonl"):
        kinds = [e["event"] for e in events(path.parent)]
        finished += "run_end" in kinds
        started += "run_end" not in kinds and "llm_call" in kinds
    return finished, started


def _kill_midway(study: Path, slots: Path) -> set[str]:
    """Start the study, SIGKILL its whole process group once some runs ended and others are mid-way."""
    proc = study_cli(str(study), slots=slots)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        finished, started = _progress(study.parent / "runs")
        if finished >= 3 and started >= 2:
            break
        time.sleep(0.2)
    assert proc.poll() is None, f"the study ended before it could be killed:\n{proc.stdout.read()}"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return {p.parent.name for p in (study.parent / "runs").glob("*/trajectory.jsonl")
            if any(e["event"] == "run_end" for e in events(p.parent))}


def test_study_completes_after_kill_resumes_and_serializes_benchmarks(tmp_path: Path):
    """2 tasks x 2 tiers x 2 teams x 2 repeats of models sleeping 0.2-2 s per call, 8 at once, killed
    mid-way and started again: every run ends once, finished runs are skipped, interrupted ones resume."""
    (tmp_path / "prices.toml").write_text(PRICES)
    study = write_study(tmp_path, repeats=2, extra='prices = "prices.toml"')
    slots = tmp_path / "slots"
    done_before = _kill_midway(study, slots)

    proc = study_cli(str(study), slots=slots)
    output = proc.communicate(timeout=420)[0]
    assert proc.returncode == 0, output

    runs = tmp_path / "runs"
    folders = sorted(p.name for p in runs.iterdir())
    assert len(folders) == 16 and all(name.rsplit("__r", 1)[1] in {"1", "2"} for name in folders)
    resumed = 0
    for name in folders:
        stream = events(runs / name)
        starts = [e for e in stream if e["event"] == "run_start"]
        ends = [e for e in stream if e["event"] == "run_end"]
        assert len(ends) == 1, name
        if name in done_before:
            assert len(starts) == 1, f"{name} finished before the kill but ran again"
        resumed += any(s["resumed"] for s in starts)
        end = ends[0]
        assert end["cost_usd"] == pytest.approx((end["input_tokens"] * 2.0 + end["output_tokens"] * 8.0) / 1e6)
    assert resumed >= 1, "no interrupted run was resumed from its checkpoint"
    assert_benchmarks_never_overlap(runs, read_holds(slots / "holds.jsonl"), 16)
    assert "sleepy" in output and "16 runs" in output
