"""Trajectory analysis: tables, figures and the HTML report, from run folders' trajectory files only.

    from szagents.analysis import load_runs, write_report
    runs = load_runs([Path("runs/")])          # tidy DataFrames: runs, revisions, llm_calls, tool_calls, benchmarks
    write_report(runs, Path("report/"))        # tables/*.md|csv, figures/*.png|svg, data/*.csv, report.html
"""

from __future__ import annotations

from szagents.analysis.compare import compare
from szagents.analysis.load import CONFIG_COLUMNS, Runs, find_run_dirs, load_runs
from szagents.analysis.reference import REFERENCE_TEAM, load_reference, reference_fractions, reference_from_runs
from szagents.analysis.report import Report, write_report
from szagents.analysis.table import Cell, Table
from szagents.analysis.tables import failure_table, phase_table, runnability_table, success_table, summary_table
from szagents.analysis.taxonomy import FAILURE_MODES, PHASES, failure_mode
from szagents.analysis.trace import trace_data, trace_table, trace_tables

__all__ = [
    "Runs",
    "load_runs",
    "find_run_dirs",
    "CONFIG_COLUMNS",
    "Table",
    "Cell",
    "summary_table",
    "success_table",
    "runnability_table",
    "failure_table",
    "phase_table",
    "trace_data",
    "trace_table",
    "trace_tables",
    "compare",
    "REFERENCE_TEAM",
    "load_reference",
    "reference_from_runs",
    "reference_fractions",
    "FAILURE_MODES",
    "PHASES",
    "failure_mode",
    "Report",
    "write_report",
]
