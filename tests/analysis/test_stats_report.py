"""A report on a study of synthetic runs with known throughput distributions: repeats grouped per cell,
the real difference found, the equal one called within noise, and the paper's numbers placed beside."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from szagents.analysis.loading.runs import load_runs
from szagents.analysis.tables.study import cell_summary, comparison_table, is_study, study_table
from tests.analysis.synthetic import SyntheticRun, SyntheticStep, write_run

MODEL = "openai:gpt-5.1-codex"


def _runs(root: Path, tier: str, team: str, tc_mean: float, n: int, rng: np.random.Generator) -> None:
    for k in range(n):
        tc = float(rng.normal(tc_mean, 0.05 * tc_mean))
        steps = (SyntheticStep("Baseline", tc=10.0, td=10.0, ratio=4.0, calls=0),
                 SyntheticStep("Faster", tc=tc, td=tc, ratio=4.0, calls=2))
        write_run(root, SyntheticRun(run_id=f"{tier}-{team}-{k}", steps=steps, model=MODEL, tier=tier, team=team,
                                     kernel="szx", target="cuda"))


def _study(root: Path) -> Path:
    rng = np.random.default_rng(0)
    _runs(root, "user", "single", 100.0, 8, rng)
    _runs(root, "expert", "single", 200.0, 8, rng)  # a real 2x difference between tiers
    _runs(root, "user", "multi", 100.0, 8, rng)  # same distribution as user/single
    return root


def test_study_cells_group_repeats_with_intervals_covering_the_truth(tmp_path: Path):
    """3 cells of 8 repeats: n=8 each, medians within 5 % of 100/200/100, each inside a non-empty interval."""
    runs = load_runs([_study(tmp_path / "runs")])
    assert is_study(runs)
    cells = cell_summary(runs).set_index(["tier", "team"])
    assert list(cells["n"]) == [8, 8, 8] and (cells["successes"] == 8).all()
    for (tier, team), truth in {("user", "single"): 100, ("expert", "single"): 200, ("user", "multi"): 100}.items():
        row = cells.loc[(tier, team)]
        assert abs(row["tc_median_gbps"] - truth) < 0.05 * truth
        assert row["tc_low_gbps"] < row["tc_median_gbps"] < row["tc_high_gbps"]
    assert len(study_table(runs).rows) == 3


def test_comparisons_find_the_tier_gap_and_call_the_team_gap_noise(tmp_path: Path):
    """Tier (100 vs 200 GB/s) is significant with Cliff's delta +1; team (same distribution) is within noise."""
    data = comparison_table(load_runs([_study(tmp_path / "runs")])).data
    tc = data[data["metric"] == "best Tc"].set_index("factor")
    assert not tc.loc["tier", "within_noise"] and tc.loc["tier", "p_value"] < 0.001
    assert tc.loc["tier", "label_b"] == "user" and tc.loc["tier", "effect"] == -1.0  # B (user) is slower
    assert tc.loc["team", "within_noise"]
    assert set(data["factor"]) == {"tier", "team"}  # model and backend do not vary


@pytest.mark.slow
def test_report_cli_on_a_study_with_the_paper_beside(tmp_path: Path):
    """`szagents report RUNS --reference paper` writes the study tables, the error-bar figure and the paper's
    numbers labelled with its hardware, beside this study's (cuda, gpt-5.1-codex) results."""
    runs = _study(tmp_path / "runs")
    out = tmp_path / "report"
    done = subprocess.run([sys.executable, "-m", "szagents.cli", "report", str(runs), "--out", str(out),
                           "--reference", "paper"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    text = (out / "report.md").read_text()
    assert "Study cells (repeats grouped)" in text and "within noise" in text
    assert "Paper (NVIDIA V100)" in text and "Cerebras CS-3 (WSE-3)" in text
    fig2 = pd.read_csv(out / "tables" / "paper_fig2.csv")
    row = fig2[(fig2["kernel"] == "szx") & (fig2["metric"] == "compress_gbps")]
    gpt = row[row["model"] == "GPT-5.1-Codex"].iloc[0]
    assert gpt["low"] == 0.126 and "peak" in gpt["yours"]
    assert (out / "figures" / "study_cells.svg").exists()
    bad = subprocess.run([sys.executable, "-m", "szagents.cli", "report", str(runs), "--reference", "nosuch"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "nosuch" in bad.stdout + bad.stderr


@pytest.mark.slow
def test_report_compare_adds_tests_between_the_two_sets(tmp_path: Path):
    """`report --compare A B` on 6 + 6 runs drawn from 100 and 200 GB/s: the tests table calls B faster."""
    rng = np.random.default_rng(1)
    _runs(tmp_path / "slow", "user", "single", 100.0, 6, rng)
    _runs(tmp_path / "fast", "user", "single", 200.0, 6, rng)
    done = subprocess.run([sys.executable, "-m", "szagents.cli", "report", "--compare", str(tmp_path / "slow"),
                           str(tmp_path / "fast"), "--out", str(tmp_path / "out")], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    tests = pd.read_csv(tmp_path / "out" / "tables" / "compare_tests.csv").set_index("metric")
    assert tests.loc["best Tc", "p_value"] < 0.01 and tests.loc["best Tc", "effect"] == 1.0
    assert "fast is higher than slow" in tests.loc["best Tc", "statement"]
    assert tests.loc["success rate", "within_noise"]
