"""`szagents run --team best-of-n|evolve --strategy '{...}'`: a search from the command line, like a study's cell."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from szagents.trajectory import read_run

ROOT = Path(__file__).parents[2]


@pytest.mark.slow  # two scripted agents, every revision compiled, validated and benchmarked: about 20 s
def test_best_of_n_runs_from_the_command_line_with_its_knobs(tmp_path):
    """Two agents (n = 2 from --strategy) run the cpu task; the run records the search and its knobs and exits 0."""
    done = subprocess.run(
        [sys.executable, "-m", "szagents.cli", "run", "--task", "szx-optimize-cpu", "--model", "scripted:optimize_szx_cpu",
         "--team", "best-of-n", "--strategy", '{"n": 2, "concurrency": 2}', "--budget", "iterations=6", "--quick",
         "--runs-dir", str(tmp_path), "--run-id", "bon"],
        capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    config = json.loads((tmp_path / "bon" / "run.json").read_text())
    assert config["strategy"]["kind"] == "best-of-n" and config["strategy"]["n"] == 2
    assert config["team"]["name"] == "single"
    planned = [e.candidate_id for e in read_run(tmp_path / "bon") if e.event == "candidate"]
    assert planned == ["a01", "a02"]
    assert (tmp_path / "bon" / "best" / "kernel.c").is_file()
