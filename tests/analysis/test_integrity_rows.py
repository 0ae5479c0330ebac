"""Report rows under task integrity: a ratio regression is traced with its numbers but never starred; reused steps keep theirs."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from szagents.analysis.loading.runs import load_runs
from szagents.analysis.tables.trace import trace_data
from szagents.roles.team import Team
from szagents.run import RunConfig, start_run

# Its module fixture makes two real runs (6-9 s a test): one worker runs the module.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("integrity-rows")]

ROLE_SCRIPTS = Path(__file__).parents[1] / "roles" / "scripts"


@pytest.fixture(scope="module")
def integrity_runs(tmp_path_factory):
    """Two real szx-optimize-cpu runs: a memcpy submission and a resubmission of the starting code."""
    root = tmp_path_factory.mktemp("integrity-runs")
    for name in ("memcpy", "resubmit"):
        start_run(RunConfig(task="szx-optimize-cpu", team=Team.single(f"scripted:{ROLE_SCRIPTS / (name + '.json')}"),
                            tier="expert", runs_dir=root, quick=True, run_id=name))
    return load_runs([root])


def test_ratio_regression_is_traced_with_its_numbers_but_never_best(integrity_runs):
    """The memcpy step shows Tc, Td and ratio 1.0 in the trace, fails as 'ratio regression', and has no star."""
    revisions = integrity_runs.revisions[integrity_runs.revisions["run"] == "memcpy"]
    data = trace_data(revisions)
    memcpy = data[data["step"] == 2].iloc[0]
    assert memcpy["verdict"] == "ratio_regression" and not memcpy["correct"]
    assert memcpy["tc"] > 0 and memcpy["td"] > 0 and memcpy["ratio"] == pytest.approx(1.0)
    assert not (memcpy["tc_best"] or memcpy["td_best"] or memcpy["ratio_best"])
    assert bool(data[data["step"] == 1].iloc[0]["tc_best"])
    row = revisions[revisions["number"] == 2].iloc[0]
    assert row["failure"] == "ratio regression" and "below the task's floor" in row["detail"]
    run = integrity_runs.runs.set_index("run").loc["memcpy"]
    assert run["best_revision"] == 1 and run["best_ratio"] > 2


def test_reused_step_keeps_the_reused_measurement(integrity_runs):
    """A resubmission of identical files has no benchmark of its own; its row carries the reused numbers and source."""
    revisions = integrity_runs.revisions[integrity_runs.revisions["run"] == "resubmit"].set_index("number")
    assert revisions.loc[2, "reused_from"] == 1 and revisions.loc[2, "measurements"] == 0
    assert revisions.loc[2, "compress_gbps_median"] == revisions.loc[1, "compress_gbps"]
    assert not math.isnan(revisions.loc[1, "compress_cv"])
