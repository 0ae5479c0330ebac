"""The four strategies end to end on a cuda task: single agent, team, best-of-n and evolve on szx-optimize-cuda,
with scripted models, every revision really compiled with nvcc, validated and benchmarked on the GPU."""

from __future__ import annotations

import pytest

pytest.importorskip("langgraph", reason="the agent stack (langgraph) is not installed here")
pytest.importorskip("cupy", reason="CuPy is not installed here")

from szagents.roles.team import Team  # noqa: E402 - after the skips: these need the agent stack
from szagents.run.config import RunConfig  # noqa: E402
from szagents.run.graph_run import start_run  # noqa: E402
from szagents.tasks.task import Budgets  # noqa: E402
from szagents.trajectory import read_run  # noqa: E402
from tests.strategies.runs import search_config  # noqa: E402

pytestmark = [pytest.mark.gpu, pytest.mark.slow]

TASK = "szx-optimize-cuda"
OPTIMIZER = "scripted:optimize_szx_cuda"  # read, the reference with a missing semicolon, the reference, stop
MUTATOR = "scripted:evolve_szx_cuda"  # SEARCH/REPLACE edits of the naive baseline's launch shapes


def _run(tmp_path, strategy: str):
    if strategy in ("best-of-n", "evolve"):
        model = MUTATOR if strategy == "evolve" else OPTIMIZER
        calls = 5 if strategy == "evolve" else 10  # evolve: one call per scripted child; best-of-n: two agents of 4
        return start_run(search_config(tmp_path, strategy, calls, model=model, task=TASK, run_id=strategy))
    team = Team.single(OPTIMIZER) if strategy == "single" else Team.multi(OPTIMIZER)
    return start_run(RunConfig(task=TASK, team=team, quick=True, runs_dir=tmp_path, run_id=strategy,
                               budgets=Budgets(iterations=6, tokens=10**8, wall_seconds=1200)))


@pytest.mark.parametrize("strategy", ["single", "multi"])
def test_an_agent_or_a_team_optimizes_the_cuda_baseline(tmp_path, strategy):
    """The compile error is classified, the reference validates and beats the naive baseline, and is the best."""
    outcome = _run(tmp_path, strategy)
    revisions = outcome.state["revisions"]
    assert [r["role"] for r in revisions] == ["baseline", "optimizer", "optimizer"]
    assert [r["verdict"] for r in revisions] == ["ok", "compile_error", "ok"], [r.get("detail") for r in revisions]
    best, baseline = outcome.best, revisions[0]
    assert best is not None and best["number"] == revisions[2]["number"]
    assert best["compress_gbps"] > baseline["compress_gbps"] and best["decompress_gbps"] > 0
    assert (outcome.run_dir / "best" / "kernel.cu").is_file()
    assert outcome.state["stop_reason"] == "agent_stop"


def test_best_of_n_keeps_the_best_verified_revision_on_the_gpu(tmp_path):
    """Two independent agents each reach the reference; the search's best is a correct revision faster than the
    starting code."""
    outcome = _run(tmp_path, "best-of-n")
    events = read_run(outcome.run_dir)
    results = [e for e in events if e.event == "candidate_result"]
    assert sorted(e.candidate_id for e in results) == ["a01", "a02"] and all(e.correct for e in results)
    revisions = [e for e in events if e.event == "revision"]
    verdicts = {c: [e.verdict for e in revisions if e.candidate_id == c] for c in ("a01", "a02")}
    assert all(v == ["ok", "compile_error", "ok"] for v in verdicts.values()), verdicts
    baselines = [e.compress_gbps for e in revisions if e.role == "baseline"]
    assert outcome.best is not None and outcome.best["correct"] and outcome.best["role"] == "optimizer"
    assert outcome.best["compress_gbps"] > max(baselines)
    assert (outcome.run_dir / "best" / "kernel.cu").is_file()


def test_evolve_classifies_its_children_and_keeps_a_lineage_on_the_gpu(tmp_path):
    """Diff edits of kernel.cu: the compile error and the edit that does not apply are classified, the launch-shape
    children validate on the GPU, and every child names a parent that was planned before it."""
    outcome = _run(tmp_path, "evolve")
    events = read_run(outcome.run_dir)
    planned = [e for e in events if e.event == "candidate"]
    results = {e.candidate_id: e for e in events if e.event == "candidate_result"}
    assert planned[0].candidate_id == "seed" and set(results) == {e.candidate_id for e in planned}
    seen: set[str] = set()
    for e in planned:
        assert e.parent is None or e.parent in seen
        seen.add(e.candidate_id)
    verdicts = [results[e.candidate_id].verdict for e in planned[1:]]
    assert "compile_error" in verdicts and verdicts.count("ok") >= 2, verdicts
    assert outcome.best is not None and outcome.best["correct"]
    assert (outcome.run_dir / "best" / "kernel.cu").is_file()
