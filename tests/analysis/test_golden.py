"""Golden files of the Markdown table formats, on deterministic synthetic runs (SZAGENTS_UPDATE_GOLDEN=1 rewrites them)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from szagents.analysis.tables.compare import compare
from szagents.analysis.loading.runs import load_runs
from szagents.analysis.tables.outcomes import failure_table, phase_table, runnability_table, success_table, summary_table
from szagents.analysis.tables.trace import trace_table

GOLDEN = Path(__file__).parent / "golden"


def _check(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.md"
    if os.environ.get("SZAGENTS_UPDATE_GOLDEN"):
        path.write_text(text)
    assert path.exists(), f"golden file {path} missing; run with SZAGENTS_UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(), f"{name} differs from {path}"


@pytest.mark.parametrize("name, build", [
    ("summary", summary_table), ("success", success_table), ("runnability", runnability_table),
    ("failures", failure_table), ("phases", phase_table),
    ("trace_szx", lambda runs: trace_table(runs, "szx-gpt-1")), ("trace_szp", lambda runs: trace_table(runs, "szp-gem-1")),
    ("trace_failing", lambda runs: trace_table(runs, "szx-gpt-2")),
])
def test_table_markdown_matches_golden(golden_runs, golden_root, name, build):
    """The Markdown of each table on the golden runs is byte-identical to its golden file."""
    _check(name, build(golden_runs).to_markdown(golden_root))


def test_compare_markdown_matches_golden(golden_root):
    """The single-vs-multi comparison of the golden runs is byte-identical to its golden file."""
    table = compare(load_runs([golden_root / "single"]), load_runs([golden_root / "multi"]), ("single", "multi"))
    _check("compare", table.to_markdown(golden_root))
