"""Tables checked against the events they summarise (real scripted runs) and against the study's Table II."""

from __future__ import annotations

from pathlib import Path

import pytest

from szagents.analysis.tables.outcomes import failure_table, phase_table, runnability_table, success_table, summary_table
from szagents.analysis.loading.taxonomy import failure_mode
from szagents.analysis.tables.display import fmt_gbps
from szagents.analysis.tables.trace import DOWN, STAR, UP, trace_data, trace_table
from szagents.trajectory import read_run
from tests.analysis.synth import TABLE_II_ARROWS


def _revision_events(runs, run):
    return [e for e in read_run(runs.run_dir(run)) if e.event == "revision"]


def _expected_arrows(values):
    """Arrows recomputed from raw values: against the previous value, none where missing or equal as the table prints
    them (two speeds that both print as 1.23 GB/s get no arrow, whatever their third decimal)."""
    out, previous = [], None
    for value in values:
        if value is None:
            out.append("")
            continue
        same = previous is None or fmt_gbps(value) == fmt_gbps(previous)
        out.append("" if same else "up" if value > previous else "down")
        previous = value
    return out


@pytest.mark.slow  # needs the shared real runs (real_runs_made): about 50 s for the first test that asks
def test_trace_arrows_and_stars_follow_the_revision_events(real_runs):
    """The demo's trace: ↑/↓ against the previous measured step, ★ on the first step reaching each column's max."""
    events = _revision_events(real_runs, "demo")
    data = trace_data(real_runs.revisions[real_runs.revisions["run"] == "demo"])
    tc = [e.compress_gbps if e.correct else None for e in events]
    td = [e.decompress_gbps if e.correct else None for e in events]
    assert list(data["tc_change"]) == _expected_arrows(tc)
    assert list(data["td_change"]) == _expected_arrows(td)
    best_tc = max(v for v in tc if v is not None)
    assert list(data["tc_best"]) == [i == tc.index(best_tc) for i in range(len(tc))]
    markdown = trace_table(real_runs, "demo").to_markdown()
    assert f"{UP} {STAR}" in markdown and DOWN in markdown and "[compile_error]" in markdown


def test_trace_reproduces_the_studys_table_ii_arrows(golden_runs):
    """A run whose steps carry Table II's numbers gets exactly the study's arrows and stars (Tc 12, Td 1, ratio 12)."""
    data = trace_data(golden_runs.revisions[golden_runs.revisions["run"] == "szx-gpt-1"])
    assert list(zip(data["tc_change"], data["td_change"]))[1:] == TABLE_II_ARROWS
    assert data.loc[data["tc_best"], "step"].tolist() == [12] and data.loc[data["td_best"], "step"].tolist() == [1]
    assert data.loc[data["ratio_best"], "step"].tolist() == [12]
    assert data.loc[2, "tc"] == 1236.7  # median of the validator's 1236.7 and the agent's own 1200 and 1300


@pytest.mark.slow  # needs the shared real runs (real_runs_made): about 50 s for the first test that asks
def test_summary_rows_are_the_run_table(real_runs):
    """The summary table has one row per run with its iterations, tokens and peak Tc."""
    table = summary_table(real_runs)
    assert sorted(table.data["run"]) == ["demo", "mix"]
    demo = table.data.set_index("run").loc["demo"]
    assert demo["iterations"] == 7 and demo["best_tc_gbps"] == real_runs.runs.set_index("run").loc["demo", "best_tc_gbps"]


@pytest.mark.slow  # needs the shared real runs (real_runs_made): about 50 s for the first test that asks
def test_failure_counts_match_revision_verdicts_and_link_to_existing_revisions(real_runs, real_root):
    """Each failure-mode count equals the failed revision events of that mode; every example link exists."""
    table = failure_table(real_runs)
    expected: dict[str, int] = {}
    for run in ("demo", "mix"):
        for event in _revision_events(real_runs, run):
            mode = failure_mode(event.verdict)
            if mode:
                expected[mode] = expected.get(mode, 0) + 1
    counted = table.data.groupby("failure")["count"].sum().to_dict()
    assert counted == expected == {"compile error": 2, "bound violation": 2}
    assert all(Path(p).exists() for p in table.data["example_path"])
    markdown = table.to_markdown(real_root)
    assert "[1](demo/revisions/" in markdown and "[1](mix/revisions/" in markdown


@pytest.mark.slow  # needs the shared real runs (real_runs_made): about 50 s for the first test that asks
def test_success_and_phase_tables_per_configuration(real_runs):
    """Success rates and phase shares are computed per model x tier x task x team."""
    success = success_table(real_runs).data
    assert list(success["success_rate"]) == [1.0, 1.0] and list(success["tier"]) == ["user", "expert"]
    phases = phase_table(real_runs).data.set_index("tier")
    assert phases.loc["user", "calls"] == 5 and phases.loc["user", "debugging"] == 2 / 5
    assert abs(phases[["editing", "compiling", "debugging", "tuning", "other"]].sum(axis=1) - 1).max() < 1e-12


def test_runnability_table_marks_budget_and_not_runnable(golden_runs):
    """Table I form: † on iterations of budget-exhausted runs, ✗ on runs without a runnable program."""
    table = runnability_table(golden_runs)
    rows = {r[1].text: r for r in table.rows}
    assert rows["szx"][3].marks == "†" and rows["szx"][4].marks == "✗" and rows["szx"][4].text == "0"
    assert rows["szp"][4].text == "134" and rows["szp"][4].marks == ""
