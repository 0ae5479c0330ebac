"""Runs recorded by szagents in older trajectory formats (tests/trajectory/fixtures) still report and replay.

v1_mix was written in format 1 (no candidate_id), v2_mix by d660621 in format 2 (results as plain dicts and
verdict strings); both are the analysis mix script on szx-optimize-cpu, quick, five LLM calls.
"""

from __future__ import annotations

import gzip
import shutil
import warnings
from pathlib import Path

import pytest

from szagents.trajectory import BenchmarkCase, BenchmarkEvent, CaseResult, RevisionEvent, ValidationEvent, Verdict
from szagents.trajectory.reader import TrajectoryWarning, read_run

FIXTURES = Path(__file__).parent / "fixtures"
RECORDED = {  # fixture -> (format, its revisions' verdicts, is_best as recorded)
    "v1_mix": (1, ["ok", "ok", "compile_error", "bound_violation"], [True, True, False, False]),
    "v2_mix": (2, ["ok", "ok", "compile_error", "bound_violation"], [True, False, False, False]),
}


@pytest.fixture(params=sorted(RECORDED))
def old_run(request, tmp_path) -> tuple[Path, tuple]:
    """A recorded run folder (trajectory.jsonl and run.json), unpacked into tmp_path, and what it recorded."""
    fixture = FIXTURES / request.param
    run = tmp_path / "runs" / request.param.replace("_", "-")
    run.mkdir(parents=True)
    shutil.copyfile(fixture / "run.json", run / "run.json")
    (run / "trajectory.jsonl").write_bytes(gzip.decompress((fixture / "trajectory.jsonl.gz").read_bytes()))
    return run, RECORDED[request.param]


def test_every_recorded_event_reads_typed(old_run):
    """Every event of the recorded run reads as its own type, with no warning, and says its format."""
    run, (version, _, _) = old_run
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrajectoryWarning)
        events = read_run(run)
    assert {e.format_version for e in events} == {version}
    assert {type(e).__name__ for e in events} >= {"RunStart", "ValidationEvent", "BenchmarkEvent", "RevisionEvent", "RunEnd"}


def test_the_recorded_results_read_as_typed_results(old_run):
    """The plain dicts and strings the old writer logged come back as CaseResult, BenchmarkCase, Environment and
    Verdict: the last validation's failed case with its first bound violation, each benchmark with its timings."""
    run, _ = old_run
    events = read_run(run)
    validations = [e for e in events if isinstance(e, ValidationEvent)]
    assert all(isinstance(c, CaseResult) and isinstance(c.verdict, Verdict) for e in validations for c in e.cases)
    failed = [c for c in validations[-1].cases if c.verdict is Verdict.bound_violation]
    assert validations[-1].verdict is Verdict.bound_violation and failed[0].violation.count > 0
    benchmarks = [e for e in events if isinstance(e, BenchmarkEvent)]
    assert benchmarks and all(e.verdict is Verdict.ok and e.environment.backend == "cpu" for e in benchmarks)
    assert all(isinstance(c, BenchmarkCase) and c.compress.median_seconds > 0 for e in benchmarks for c in e.cases)
    revisions = [e.verdict for e in events if isinstance(e, RevisionEvent)]
    assert revisions == [Verdict.ok, Verdict.ok, Verdict.compile_error, Verdict.bound_violation]


def test_the_recorded_run_reports(old_run):
    """The analysis reads the old run into the revisions it had: ok, ok, compile_error, bound_violation."""
    from szagents.analysis.loading.runs import load_runs

    run, (_, verdicts, best) = old_run
    runs = load_runs([run.parent])
    revisions = runs.revisions.sort_values("number")
    assert [str(v) for v in revisions["verdict"]] == verdicts
    assert list(revisions["is_best"]) == best  # each as recorded (the v2 run's second was within noise)
    assert (runs.benchmarks["compress_gbps"] > 0).all() and len(runs.benchmarks) >= 3


@pytest.mark.slow
def test_the_recorded_run_replays(old_run, tmp_path):
    """Replaying the recorded model replies re-runs the same steps to the same verdicts (real compiles and harness)."""
    from szagents.roles.team import Team
    from szagents.run.config import RunConfig
    from szagents.run.graph_run import start_run
    from szagents.tasks.task import Budgets

    run, (_, verdicts, _) = old_run
    outcome = start_run(RunConfig(task="szx-optimize-cpu", team=Team.single(f"replay:{run / 'trajectory.jsonl'}"),
                                  tier="user", runs_dir=tmp_path / "replayed", quick=True, run_id="again",
                                  budgets=Budgets(iterations=5)))
    assert [r["verdict"] for r in outcome.state["revisions"]] == verdicts
    assert outcome.state["stop_reason"] == "budget_iterations"
