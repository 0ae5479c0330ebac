"""The report folder: every table, figure and data file is written; figures are valid; the page is self-contained."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from szagents.analysis.loading.runs import load_runs
from szagents.analysis.loading.reference import load_reference, reference_fractions, reference_from_runs
from szagents.analysis.report.write import write_report
from szagents.errors import InputError
from tests.analysis.synth import REFERENCE

# Its module fixture writes a full report: one worker runs the module (make test's --dist loadgroup), so it is
# written once.
pytestmark = pytest.mark.xdist_group("report")


@pytest.fixture(scope="module")
def report(golden_runs, tmp_path_factory):
    """A full report on the golden runs with reference numbers."""
    return write_report(golden_runs, tmp_path_factory.mktemp("report"), reference=pd.DataFrame(REFERENCE))


@pytest.mark.slow  # its module fixture writes a full report: 3 s
def test_every_output_is_written(report):
    """Tables (md + csv), traces, tidy data, figures (png + svg), report.md and report.html all exist."""
    names = {p.relative_to(report.folder).as_posix() for p in report.folder.rglob("*") if p.is_file()}
    for table in ("success", "runnability", "failures", "phases", "summary", "traces"):
        assert {f"tables/{table}.md", f"tables/{table}.csv"} <= names
    assert {f"data/{t}.csv" for t in ("runs", "revisions", "llm_calls", "tool_calls", "benchmarks")} <= names
    figures = {f.name for f in report.figures}
    assert figures == {"fig2_throughput", "fig3_iterations", "fig4_steps", "fig_reference_fraction",
                       "fig_bandwidth_fraction", "fig_first_correct", "fig_phases", "study_cells"}
    assert {f"figures/{n}.{ext}" for n in figures for ext in ("png", "svg")} <= names
    assert {"report.md", "report.html"} <= names


@pytest.mark.slow  # its module fixture writes a full report: 3 s
def test_figures_are_valid_png_and_svg(report):
    """Each PNG starts with the PNG signature and each SVG parses as an <svg> document."""
    for figure in report.figures:
        assert figure.png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and figure.png.stat().st_size > 5000
        assert ET.parse(figure.svg).getroot().tag.endswith("svg")


@pytest.mark.slow  # its module fixture writes a full report: 3 s
def test_html_is_self_contained(report):
    """The page has no scripts and no network references; figures are inlined as data URIs."""
    html = report.html.read_text()
    assert not re.search(r'(src|href)="(https?:)?//', html) and "<script" not in html
    assert html.count('src="data:image/svg+xml;base64,') == len(report.figures)
    assert 'id="run-szx-gpt-1-rev-3"' in html and 'href="#run-csl-gem-1-rev-1"' in html


@pytest.mark.slow  # its module fixture writes a full report: 3 s
def test_tidy_csv_round_trips_the_run_table(report, golden_runs):
    """data/runs.csv holds the run table (same runs, same peak Tc)."""
    frame = pd.read_csv(report.folder / "data" / "runs.csv").set_index("run")
    expected = golden_runs.runs.set_index("run")
    assert sorted(frame.index) == sorted(expected.index)
    assert frame.loc["szx-gpt-1", "best_tc_gbps"] == expected.loc["szx-gpt-1", "best_tc_gbps"] == 1270.6


def test_reference_fractions_from_a_file(golden_runs, tmp_path):
    """A JSON reference file gives each run's best Tc/Td as a fraction of its kernel's reference."""
    path = tmp_path / "refs.json"
    path.write_text(json.dumps({"references": REFERENCE}))
    fractions = reference_fractions(golden_runs, load_reference(path)).set_index("run")
    assert fractions.loc["szx-gpt-1", "tc_fraction"] == pytest.approx(1270.6 / 1500.0)
    assert fractions.loc["szp-gem-1", "td_fraction"] == pytest.approx(609.6 / 800.0)
    assert pd.isna(fractions.loc["csl-gpt-1", "tc_fraction"])


def test_reference_from_runs_of_team_reference(golden_root, tmp_path):
    """Runs of team 'reference' supply the reference numbers when no file is given."""
    text = (golden_root / "multi" / "szx-gpt-m2" / "trajectory.jsonl").read_text().replace('"team":"multi"', '"team":"reference"')
    (tmp_path / "ref").mkdir()
    (tmp_path / "ref" / "trajectory.jsonl").write_text(text)
    reference = reference_from_runs(load_runs([tmp_path]))
    assert reference[["kernel", "backend"]].values.tolist() == [["szx", "cuda"]]
    assert reference["compress_gbps"].iloc[0] == pytest.approx(1236.7 * 1.5)


def test_bad_reference_file_names_the_missing_columns(tmp_path):
    """A reference CSV without the throughput columns raises InputError naming them."""
    path = tmp_path / "refs.csv"
    path.write_text("kernel,backend\nszx,cuda\n")
    with pytest.raises(InputError, match="compress_gbps, decompress_gbps"):
        load_reference(path)


def test_empty_set_of_runs_still_writes_a_report(tmp_path):
    """With no runs at all every figure shows a placeholder and the tables are empty, without errors."""
    empty = load_runs([tmp_path / "nothing"])
    made = write_report(empty, tmp_path / "out")
    assert made.html.exists() and len(made.figures) == 5
    assert "(none)" in (tmp_path / "out" / "tables" / "summary.md").read_text()


@pytest.mark.slow  # needs the shared real runs (real_runs_made): about 50 s for the first test that asks
def test_report_says_when_runs_had_no_sandbox(real_runs, tmp_path):
    """Runs whose untrusted code ran under rlimits only get a caution naming them; sandboxed runs none."""
    from szagents.analysis.report.write import write_report

    assert set(real_runs.runs["isolation"]) == {"bwrap"}
    assert not any("Isolation" in n for n in write_report(real_runs, tmp_path / "a").markdown.read_text().splitlines())
    weak = real_runs.runs.copy()
    weak.loc[weak.index[0], "isolation"] = "rlimits-only"
    runs = type(real_runs)(weak, *real_runs._tables()[1:])
    text = write_report(runs, tmp_path / "b").markdown.read_text()
    assert "ran untrusted code under rlimits only" in text and weak.iloc[0]["run"] in text


@pytest.mark.slow
def test_a_long_model_name_draws_without_warnings(tmp_path):
    """A 200-character served-model name: `szagents report` prints only its closing line (no matplotlib warning);
    the figures shorten the name, the summary table keeps it whole."""
    import subprocess
    import sys

    from tests.analysis.synthetic import SyntheticRun, SyntheticStep, write_run

    model = "openai:" + "qwen2.5-coder-32b-instruct-awq-int4-served-by-vllm-on-node-gpu017-" * 3
    write_run(tmp_path / "runs", SyntheticRun("long", (SyntheticStep("Baseline", tc=1.0, td=2.0, ratio=3.0, calls=0),
                                                      SyntheticStep("omp", tc=2.0, td=3.0, ratio=3.0)), model=model))
    done = subprocess.run([sys.executable, "-m", "szagents.cli", "report", str(tmp_path / "runs"), "--out",
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert "Figures:" not in (tmp_path / "out" / "report.md").read_text()
    assert model.split(":", 1)[1] in (tmp_path / "out" / "tables" / "summary.md").read_text()
