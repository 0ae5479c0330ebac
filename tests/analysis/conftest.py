"""Shared runs for the analysis tests: real scripted runs on the cpu backend, and synthetic run folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from szagents.analysis.load import Runs, load_runs
from szagents.roles.team import Team
from szagents.sweep.config import RunConfig
from szagents.sweep.run import start_run
from szagents.tasks.task import Budgets
from tests.analysis.synth import write_golden_runs

SCRIPTS = Path(__file__).parent / "scripts"


@pytest.fixture(scope="session")
def real_root(tmp_path_factory) -> Path:
    """Two real runs of szx-optimize-cpu: the bundled demo (expert) and the mix script (user, budget of 5 calls)."""
    root = tmp_path_factory.mktemp("real-runs")
    start_run(RunConfig(task="szx-optimize-cpu", team=Team.single("scripted:demo"), tier="expert", runs_dir=root,
                        quick=True, run_id="demo"))
    start_run(RunConfig(task="szx-optimize-cpu", team=Team.single(f"scripted:{SCRIPTS / 'mix.json'}"), tier="user",
                        runs_dir=root, quick=True, run_id="mix", budgets=Budgets(iterations=5)))
    return root


@pytest.fixture(scope="session")
def real_runs(real_root) -> Runs:
    """The real runs loaded."""
    return load_runs([real_root])


@pytest.fixture(scope="session")
def golden_root(tmp_path_factory) -> Path:
    """The deterministic synthetic runs behind the golden files."""
    root = tmp_path_factory.mktemp("golden-runs")
    write_golden_runs(root)
    return root


@pytest.fixture(scope="session")
def golden_runs(golden_root) -> Runs:
    """The golden synthetic runs loaded."""
    return load_runs([golden_root])
