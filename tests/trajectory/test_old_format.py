"""A run recorded by szagents with trajectory format 1 (tests/trajectory/fixtures/v1_mix) still reports and replays."""

from __future__ import annotations

import gzip
import shutil
import warnings
from pathlib import Path

import pytest

from szagents.trajectory.reader import TrajectoryWarning, read_run

FIXTURE = Path(__file__).parent / "fixtures" / "v1_mix"


@pytest.fixture
def v1_run(tmp_path) -> Path:
    """The recorded run folder (trajectory.jsonl and run.json), unpacked into tmp_path."""
    run = tmp_path / "runs" / "v1-mix"
    run.mkdir(parents=True)
    shutil.copyfile(FIXTURE / "run.json", run / "run.json")
    (run / "trajectory.jsonl").write_bytes(gzip.decompress((FIXTURE / "trajectory.jsonl.gz").read_bytes()))
    return run


def test_every_recorded_event_reads_typed(v1_run):
    """Every event of the recorded run reads as its own type, with no warning, and says format 1."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrajectoryWarning)
        events = read_run(v1_run)
    assert {e.format_version for e in events} == {1}
    assert {type(e).__name__ for e in events} >= {"RunStart", "ValidationEvent", "BenchmarkEvent", "RevisionEvent", "RunEnd"}


def test_the_recorded_run_reports(v1_run):
    """The analysis reads the old run into the revisions it had: ok, ok, compile_error, bound_violation."""
    from szagents.analysis.loading.runs import load_runs

    runs = load_runs([v1_run.parent])
    revisions = runs.revisions.sort_values("number")
    assert [str(v) for v in revisions["verdict"]] == ["ok", "ok", "compile_error", "bound_violation"]
    assert list(revisions["is_best"]) == [True, True, False, False]  # each the best when it was recorded
    assert (runs.benchmarks["compress_gbps"] > 0).all() and len(runs.benchmarks) >= 3


@pytest.mark.slow
def test_the_recorded_run_replays(v1_run, tmp_path):
    """Replaying the recorded model replies re-runs the same steps to the same verdicts (real compiles and harness)."""
    from szagents.roles.team import Team
    from szagents.run.config import RunConfig
    from szagents.run.graph_run import start_run
    from szagents.tasks.task import Budgets

    outcome = start_run(RunConfig(task="szx-optimize-cpu", team=Team.single(f"replay:{v1_run / 'trajectory.jsonl'}"),
                                  tier="user", runs_dir=tmp_path / "replayed", quick=True, run_id="again",
                                  budgets=Budgets(iterations=5)))
    verdicts = [r["verdict"] for r in outcome.state["revisions"]]
    assert verdicts == ["ok", "ok", "compile_error", "bound_violation"]
    assert outcome.state["stop_reason"] == "budget_iterations"
