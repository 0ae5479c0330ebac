"""Trajectory analysis, from run folders' trajectory files only: loading/ (tidy DataFrames), tables/, figures/,
report/ (one folder with report.html), stats, export/ (Inspect logs).

    from szagents.analysis import load_runs, write_report
    runs = load_runs([Path("runs/")])          # tidy DataFrames: runs, revisions, llm_calls, tool_calls, benchmarks
    write_report(runs, Path("report/"))        # tables/*.md|csv, figures/*.png|svg, data/*.csv, report.html
"""

from __future__ import annotations

from szagents.analysis.loading import (CONFIG_COLUMNS, FAILURE_MODES, PHASES, REFERENCE_TEAM, Runs, failure_mode,
                                       find_run_dirs, load_reference, load_runs, reference_fractions, reference_from_runs)
from szagents.analysis.report import Report, write_report
from szagents.analysis.tables import (Cell, Table, compare, failure_table, phase_table, runnability_table, success_table,
                                      summary_table, trace_data, trace_table, trace_tables)

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
