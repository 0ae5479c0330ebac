"""Shared runs for the analysis tests: real scripted runs on the cpu backend, and synthetic run folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from szagents.analysis.loading.runs import Runs, load_runs
from tests.analysis.synth import write_golden_runs


@pytest.fixture(scope="session")
def real_root(real_runs_made) -> Path:
    """Two real runs of szx-optimize-cpu in one folder: the bundled demo and the mix script (tests/conftest.py)."""
    return real_runs_made["demo"].run_dir.parent


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
