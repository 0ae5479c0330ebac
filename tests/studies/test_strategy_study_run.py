"""The demo study of examples/strategies_study.toml, run for real at a smaller budget: single, multi, best-of-n and
evolve each finish, and the report on the study shows the fast_p table with one row per strategy, the best-so-far
and lineage figures, and loads in a headless Chromium without console errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from szagents.analysis.loading import load_runs
from szagents.analysis.report import write_report
from szagents.studies.grid import load_study
from szagents.studies.local import LocalExecutor
from szagents.studies.plan import plan_study
from tests.analysis.test_browser import _open, _rendered, browser  # noqa: F401 - browser: the headless Chromium fixture

DEMO = Path(__file__).resolve().parents[2] / "examples" / "strategies_study.toml"
# Four real runs (every revision compiled, validated, benchmarked), then a report: ~40 s. One worker runs both tests
# (make test's --dist loadgroup), so the study is run once.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("strategy-study")]


@pytest.fixture(scope="module")
def study_runs(tmp_path_factory) -> Path:
    """The demo study with its runs in a temporary folder and 3 LLM calls per run instead of 8."""
    folder = tmp_path_factory.mktemp("strategies-study")
    text = DEMO.read_text()
    text = re.sub(r'(?m)^runs_dir = .*$', f'runs_dir = "{folder / "runs"}"', text)
    text, budgets = re.subn(r'(?m)^budget = "iterations=8,', 'budget = "iterations=3,', text)
    assert budgets == 1, "the demo study's budget line changed: update this test"
    path = folder / "study.toml"
    path.write_text(text)
    plan = plan_study(load_study(path))
    LocalExecutor(plan.study.study.concurrency).run(plan.jobs(), plan.ledger)
    return folder / "runs"


def test_every_strategy_of_the_demo_study_finishes_with_a_correct_best(study_runs):
    run_dirs = [d for d in study_runs.iterdir() if (d / "run.json").is_file()]
    assert sorted(d.name.split("__")[-2] for d in run_dirs) == ["best-of-n", "evolve", "multi", "single"]
    for run_dir in run_dirs:
        assert (run_dir / "best").is_dir(), f"{run_dir.name} kept no correct revision"
    assert len(load_runs([study_runs])) == 4


def test_the_study_report_has_fast_p_and_the_search_figures_in_chromium(study_runs, tmp_path, browser):  # noqa: F811
    report = write_report(load_runs([study_runs]), tmp_path / "report")
    assert {"fig_search_budget", "fig_search_lineage"} <= {f.name for f in report.figures}
    fast_p = (tmp_path / "report" / "tables" / "fast_p.md").read_text()
    assert all(f"| {team} |" in fast_p for team in ("single", "multi", "best-of-n", "evolve")), fast_p
    assert _open(browser, report.html) == []
    images = _rendered(browser, "figure img")
    assert len(images) == len(report.figures) and all(n > 0 and w > 0 and h > 0 for n, w, h in images)
