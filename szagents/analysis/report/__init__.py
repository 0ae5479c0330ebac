"""A whole report folder: tables, tidy data, figures, report.md and one self-contained report.html."""

from szagents.analysis.report.html import render_html
from szagents.analysis.report.write import Report, write_report

__all__ = ["Report", "render_html", "write_report"]
