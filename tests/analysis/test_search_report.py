"""fast_p, best-so-far curves and the lineage of a search, from a hand-written search trajectory."""

from __future__ import annotations

from pathlib import Path

import pytest

from szagents.analysis.loading import load_runs
from szagents.analysis.report import write_report
from szagents.analysis.loading.search import best_so_far, fast_p, lineage
from szagents.analysis.figures import budget_figure, lineage_figure
from szagents.analysis.tables import fast_p_table
from szagents.trajectory import TrajectoryWriter
from szagents.trajectory.events import LlmCall, RevisionEvent, RunEnd, RunStart
from szagents.trajectory.search_events import CandidateEvent, CandidateResult
from tests.analysis.test_browser import _open, _rendered, browser  # noqa: F401 - browser: the headless Chromium fixture


def _search(folder: Path, run_id: str, gbps: list[float | None], stages: list[str]) -> Path:
    """A search run: a seed at 1 GB/s, then one child per value (None: a compile error)."""
    run_dir = folder / run_id
    with TrajectoryWriter(run_dir / "trajectory.jsonl", run_id) as w:
        w.emit(RunStart(run_id=run_id, task_id="szx-optimize-cpu", kernel="szx", mode="optimize", target="cpu",
                        variant="default", team="evolve", tier="user", models={"optimizer": "scripted:x"},
                        budgets={"iterations": 9}, szagents_version="t"))
        best, top = 1, 0.0
        for i, (value, stage) in enumerate(zip([1.0, *gbps], ["benchmark", *stages])):
            cid = "seed" if i == 0 else f"g{i:03d}c0"
            w.emit(CandidateEvent(run_id=run_id, candidate_id=cid, strategy="evolve", generation=i,
                                  parent=None if i == 0 else "seed", inspirations=["seed"] if i > 1 else [],
                                  edit="start" if i == 0 else "diff"))
            if i:
                w.emit(LlmCall(run_id=run_id, candidate_id=cid, role="mutator", model="scripted:x", iteration=1,
                               input_tokens=100, output_tokens=10, latency_s=0.1, request_messages=2, response={}))
            ok = value is not None
            w.emit(RevisionEvent(run_id=run_id, candidate_id=cid, number=i + 1, role="baseline" if i == 0 else "mutator",
                                 action="a", sha256=str(i), files=["kernel.c"], verdict="ok" if ok else "compile_error",
                                 correct=ok, compress_gbps=value, decompress_gbps=value, ratio=3.0 if ok else None))
            if ok and stage == "benchmark" and value >= top:
                best, top = i + 1, value
            w.emit(CandidateResult(run_id=run_id, candidate_id=cid, stage=stage if ok else "compile",
                                   verdict="ok" if ok else "compile_error", correct=ok, revision=i + 1,
                                   objective=value if stage == "benchmark" else None, archived=ok))
        w.emit(RunEnd(run_id=run_id, stop_reason="budget_iterations", iterations={"mutator": len(gbps)},
                      input_tokens=100 * len(gbps), output_tokens=10 * len(gbps), wall_seconds=1.0, best_revision=best,
                      cost_usd=0.5))
    return run_dir


@pytest.fixture
def runs(tmp_path):
    _search(tmp_path, "fast", [None, 1.6, 2.5, 9.0], ["compile", "benchmark", "benchmark", "screen"])
    _search(tmp_path, "slow", [1.2], ["benchmark"])
    return load_runs([tmp_path / "fast", tmp_path / "slow"])


def test_fast_p_counts_runs_at_least_p_times_the_start(runs):
    row = fast_p(runs).iloc[0]
    assert (row["runs"], row["fast_1_hits"], row["fast_1.5_hits"], row["fast_2_hits"]) == (2, 2, 1, 1)
    assert row["fast_2_low"] < 0.5 < row["fast_2_high"]  # one of two: the interval says how little that is
    assert "1/2" in fast_p_table(runs).to_markdown(Path("."))


def test_best_so_far_ignores_failures_and_screened_revisions(runs):
    curve = best_so_far(runs)
    fast = curve[curve["run"] == "fast"]
    assert list(fast["compress_gbps"]) == [1.0, 1.6, 2.5, 2.5]  # 9.0 was only screened
    assert list(fast["tokens"]) == [0, 220, 330, 440]
    assert list(fast["cost_usd"]) == [0.0, 0.25, 0.375, 0.5]  # the run's cost spread over its tokens


def test_lineage_and_figures_are_drawn(runs, tmp_path):
    frame = lineage(runs.run_dir("fast"))
    assert list(frame["parent"].fillna("-")) == ["-", "seed", "seed", "seed", "seed"]
    assert list(frame["verdict"]) == ["ok", "compile_error", "ok", "ok", "ok"]
    for made in (budget_figure(runs, tmp_path / "fig"), lineage_figure(runs, tmp_path / "fig")):
        assert made.png.stat().st_size > 10_000 and made.svg.is_file()



@pytest.mark.slow
def test_the_report_page_shows_the_search_figures_in_chromium(runs, tmp_path, browser):
    """The HTML report of searches loads without console errors and displays the lineage and budget figures."""
    report = write_report(runs, tmp_path / "report")
    assert {"fig_search_budget", "fig_search_lineage"} <= {f.name for f in report.figures}
    assert _open(browser, report.html) == []
    images = _rendered(browser, "figure img")
    assert len(images) == len(report.figures) and all(n > 0 and w > 0 and h > 0 for n, w, h in images)
