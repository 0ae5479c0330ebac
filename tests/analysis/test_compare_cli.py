"""compare() of two sets of runs, and the `szagents report` command (run folders, --compare, errors)."""

from __future__ import annotations

import math
import statistics

import pytest
import typer
from typer.testing import CliRunner

from szagents.analysis.tables.compare import CAUTION, FEW_RUNS, compare
from szagents.analysis.loading.runs import load_runs
from szagents.cli.report import report_command
from szagents.errors import InputError


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    """An app with the report command registered the way the main app registers it."""
    app = typer.Typer()
    app.command("report")(report_command)
    app.command("noop")(lambda: None)  # a second command keeps `report` a subcommand, as in szagents
    return app


def test_compare_medians_spread_and_differences(golden_root):
    """Per shared task: medians, quartiles, ranges of each set and B - A, B / A of the medians."""
    single, multi = load_runs([golden_root / "single"]), load_runs([golden_root / "multi"])
    data = compare(single, multi, ("single", "multi")).data.set_index("metric")
    assert set(data["task"]) == {"szx-optimize-cuda"}
    tc = data.loc["best Tc (GB/s)"]
    a = [1270.6, 1000.0]
    b = [1236.7, 1236.7 * 1.5]
    assert tc["a_median"] == pytest.approx(statistics.median(a)) and tc["b_median"] == pytest.approx(statistics.median(b))
    assert (tc["a_min"], tc["a_max"], tc["a_n"]) == (1000.0, 1270.6, 2)
    assert tc["difference"] == pytest.approx(statistics.median(b) - statistics.median(a))
    assert tc["ratio"] == pytest.approx(statistics.median(b) / statistics.median(a))
    assert data.loc["success rate", "a_median"] == 1.0 and data.loc["iterations", "b_median"] == 8.0


def test_compare_without_shared_tasks_compares_everything(golden_root):
    """Two sets with no task in common are compared over all their runs."""
    runs = load_runs([golden_root / "single"])
    cerebras = runs.select(runs.runs.loc[runs.runs["backend"] == "cerebras", "run"])
    cuda = runs.select(runs.runs.loc[runs.runs["backend"] == "cuda", "run"])
    data = compare(cerebras, cuda).data
    assert set(data["task"]) == {"(all tasks)"} and data.set_index("metric").loc["success rate", "a_median"] == 0.5


@pytest.mark.slow
def test_report_command_on_run_folders(cli, golden_root, tmp_path):
    """`report RUN_DIR... --out DIR` writes the report and says where."""
    result = CliRunner().invoke(cli, ["report", str(golden_root / "single"), str(golden_root / "multi" / "szx-gpt-m1"),
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "report on 6 runs" in result.output and (tmp_path / "out" / "report.html").exists()


@pytest.mark.slow
def test_report_command_compare(cli, golden_root, tmp_path):
    """`report --compare A B` adds the side-by-side table (labelled by folder names) to a report on both sets."""
    result = CliRunner().invoke(cli, ["report", "--compare", str(golden_root / "single"), str(golden_root / "multi"),
                                      "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out" / "tables" / "compare.md").read_text()
    assert "| Task | Metric | single | multi | multi − single | multi / single |" in text
    assert "report on 7 runs" in result.output


def test_report_command_without_runs_is_an_input_error(cli, tmp_path):
    """A folder without run folders, or no arguments at all, raise InputError (exit code 2 under szagents)."""
    (tmp_path / "empty").mkdir()
    for args in (["report", str(tmp_path / "empty")], ["report"]):
        result = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "out")])
        assert isinstance(result.exception, InputError), result.output


def test_every_ratio_shows_its_n_and_few_runs_carry_a_caution(golden_root):
    """Each ratio cell says how many runs are behind each side; below FEW_RUNS on a side it is marked and a note
    explains the mark, and with enough runs on both sides there is no mark."""
    runs = load_runs([golden_root])
    table = compare(runs, runs, ("all", "again"))
    assert table.data["a_n"].min() < FEW_RUNS <= table.data["a_n"].max()  # both cases occur
    for cells, (_, row) in zip(table.rows, table.data.iterrows()):
        if math.isnan(row["ratio"]):  # nothing to compare (no successful run of a task): no ratio, no n
            assert (cells[-1].text, cells[-1].marks) == ("—", "")
            continue
        n = int(row["a_n"])
        assert cells[-1].text.endswith(f"(n = {n} each)"), cells[-1].text
        assert cells[-1].marks == (CAUTION if n < FEW_RUNS else "")
    assert any(note.startswith(CAUTION) for note in table.notes)
    few = compare(load_runs([golden_root / "single"]), load_runs([golden_root / "multi"]), ("single", "multi"))
    assert "1.36 (n = 2 each)" in [c[-1].text for c in few.rows]
