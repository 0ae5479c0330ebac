"""Results of different Cerebras SDKs are never mixed silently: every grouped table and figure splits them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from szagents.analysis import load_runs
from szagents.analysis.figures.plotting import group_keys, group_label
from szagents.analysis.tables.study import cell_summary, comparison_table, study_table
from tests.analysis.synthetic import _EPOCH, SyntheticRun, SyntheticStep, write_run
from szagents.analysis.tables.outcomes import failure_table, runnability_table, success_table

OLD, NEW = "cslc version 1.3.0", "cslc version 1.4.0"


def _cerebras(run_id: str, sdk: str | None, runnable: bool, hour: int, switch: int | None = None) -> SyntheticRun:
    steps = [SyntheticStep("CSL attempt", verdict="stall", exec_time_s=0.0, calls=2)]
    if runnable:
        steps.append(SyntheticStep("Runnable layout", exec_time_s=100.0 + hour, calls=2))
    return SyntheticRun(run_id=run_id, steps=tuple(steps), mode="translate", target="cerebras", sdk_version=sdk,
                        sdk_switch_at=switch, start=_EPOCH + timedelta(hours=hour))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("sdk")
    specs = [_cerebras("old1", OLD, True, 0), _cerebras("old2", OLD, True, 1),
             _cerebras("new1", NEW, False, 2), _cerebras("new2", NEW, False, 3),
             _cerebras("mixed", OLD, True, 4, switch=2),
             SyntheticRun(run_id="cpu", steps=(SyntheticStep("Baseline", tc=1.0, td=2.0, ratio=4.0, calls=0),))]
    for spec in specs:
        write_run(root, spec)
    return load_runs([root])


def _sdk_of(runs, run):
    return runs.runs.set_index("run").loc[run, "sdk_version"]


def test_each_run_carries_the_sdk_its_events_reported(runs):
    """The SDK from the compile/validation/benchmark events; '' without one; a run that saw two names both."""
    assert _sdk_of(runs, "old1") == OLD and _sdk_of(runs, "new2") == NEW and _sdk_of(runs, "cpu") == ""
    assert _sdk_of(runs, "mixed") == f"{OLD} + {OLD} (upgraded)"


def test_tables_split_cells_by_sdk(runs):
    """Same model, tier, task and team: one success row per SDK, each naming it; Table I has an SDK column."""
    success = success_table(runs).data
    cerebras = success[success["task"] == "szx-translate-cerebras"].set_index("sdk_version")
    assert cerebras.loc[OLD, "runs"] == 2 and cerebras.loc[OLD, "successes"] == 2
    assert cerebras.loc[NEW, "runs"] == 2 and cerebras.loc[NEW, "successes"] == 0
    shown = success_table(runs).to_markdown()
    assert f"szx-translate-cerebras ({OLD})" in shown and f"szx-translate-cerebras ({NEW})" in shown
    table_one = runnability_table(runs)
    assert table_one.header[-1] == "SDK" and list(table_one.data["sdk_version"]) == sorted(table_one.data["sdk_version"])
    assert {row[-1].text for row in table_one.rows} == {OLD, NEW, f"{OLD} + {OLD} (upgraded)"}
    backends = {row[2].text for row in failure_table(runs).rows}
    assert f"cerebras ({OLD})" in backends and f"cerebras ({NEW})" in backends and "cpu" in backends


def test_study_cells_and_comparisons_keep_sdks_apart(runs):
    """Study cells split by SDK, and the SDK is a factor compared with the others held fixed."""
    cells = cell_summary(runs)
    cerebras = cells[cells["backend"] == "cerebras"]
    assert sorted(cerebras["n"]) == [1, 2, 2] and set(cerebras["sdk_version"]) >= {OLD, NEW}
    assert f"cerebras ({NEW})" in study_table(runs).to_markdown()
    factors = set(comparison_table(runs).data["factor"])
    assert "sdk_version" in factors


def test_figures_group_by_sdk_when_runs_used_several(runs):
    """Figure groups add the SDK only where the runs differ in it, and label it."""
    assert group_keys(runs.runs)[-1] == "sdk_version"
    assert group_keys(runs.runs[runs.runs["run"] == "cpu"]) == ["model", "tier"]
    label = group_label(("scripted:synthetic", "expert", NEW), 2)
    assert f" / {NEW}" in label and label.endswith("n = 2")
    assert group_label(("scripted:synthetic", "expert", ""), 2) == group_label(("scripted:synthetic", "expert"), 2)
