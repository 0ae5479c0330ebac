"""The report's tables (Markdown, HTML, CSV): outcomes, traces, comparisons, studies, the study's published numbers."""

from szagents.analysis.tables.compare import compare
from szagents.analysis.tables.display import Cell, Table
from szagents.analysis.tables.outcomes import failure_table, phase_table, runnability_table, success_table, summary_table
from szagents.analysis.tables.paper import paper_tables
from szagents.analysis.tables.search import fast_p_table
from szagents.analysis.tables.study import comparison_table, is_study, study_table
from szagents.analysis.tables.trace import trace_data, trace_table, trace_tables

__all__ = ["Cell", "Table", "compare", "comparison_table", "failure_table", "fast_p_table", "is_study", "paper_tables", "phase_table",
           "runnability_table", "study_table", "success_table", "summary_table", "trace_data", "trace_table",
           "trace_tables"]
