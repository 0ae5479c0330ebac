"""Shared runs for the analysis tests: real scripted runs on the cpu backend, and synthetic run folders."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from szagents.analysis.loading.runs import Runs, load_runs
from szagents.analysis.report.write import Report, write_report
from tests.analysis.synth import REFERENCE, write_golden_runs
from tests.sharing import once_per_run, run_folder


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


@pytest.fixture(scope="session")
def both_report(golden_runs, real_runs, tmp_path_factory) -> Report:
    """The report on the golden and the real runs together, with REFERENCE: written once per test run by the first
    xdist worker that asks (figures and HTML, 15-30 s on a 2-core machine) and only read by the tests."""
    both = Runs.concat([golden_runs, real_runs])
    report = once_per_run(run_folder(tmp_path_factory), "both-report",
                          lambda out: write_report(both, out, reference=pd.DataFrame(REFERENCE)))
    for figure in report.figures:  # read back from the pickle, a figure has a bare canvas: an Agg one, as drawn
        FigureCanvasAgg(figure.figure)
    return report
