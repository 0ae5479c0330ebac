"""Write a whole report folder: tables (Markdown + CSV), tidy data, figures (PNG + SVG), report.md, report.html."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from szagents.analysis import figures
from szagents.analysis.figures import FigureFile, budget_figure, lineage_figure, study_figure
from szagents.analysis.loading.reference import reference_from_runs
from szagents.analysis.loading.runs import Runs
from szagents.analysis.loading.search import search_runs
from szagents.analysis.report.html import render_html
from szagents.analysis.tables import (Table, comparison_table, failure_table, fast_p_table, is_study, phase_table,
                                      runnability_table, study_table, success_table, summary_table, trace_tables)
from szagents.analysis.tables.paper import paper_backend

__all__ = ["Report", "write_report"]


@dataclass(frozen=True)
class Report:
    """What write_report produced: the folder, its tables, traces, figures and the HTML page."""

    folder: Path
    runs: Runs
    tables: list[Table]
    traces: list[Table]
    figures: list[FigureFile]
    html: Path
    markdown: Path


def _tables(runs: Runs, comparison: Table | None) -> list[Table]:
    """The report's tables: the comparison first if any, Table I only when runs on the paper's Table I backend exist."""
    tables = [success_table(runs), fast_p_table(runs), failure_table(runs), phase_table(runs), summary_table(runs)]
    table_one = paper_backend("table1")
    if (runs.runs["backend"] == table_one).any():
        tables.insert(1, runnability_table(runs, table_one))
    return [comparison, *tables] if comparison is not None else tables


def _figures(runs: Runs, folder: Path, reference: pd.DataFrame, notes: list[str]) -> list[FigureFile]:
    """Every figure that has data; notes say why the optional ones are missing."""
    made = [figures.throughput_figure(runs, folder), figures.iterations_figure(runs, folder),
            figures.steps_figure(runs, folder), figures.first_correct_figure(runs, folder),
            figures.phases_figure(runs, folder)]
    if search_runs(runs):  # best-of-n / evolve runs: every strategy's best against its budget, and the lineages
        made += [budget_figure(runs, folder), lineage_figure(runs, folder)]
    if len(reference):
        made.insert(3, figures.reference_figure(runs, reference, folder))
    else:
        notes.append("No reference numbers: pass --reference FILE (CSV/JSON) or include runs of team 'reference' "
                     "to plot throughput as a fraction of the reference kernel.")
    if runs.runs[["tc_bandwidth_fraction", "td_bandwidth_fraction"]].notna().to_numpy().any():
        made.insert(4, figures.bandwidth_figure(runs, folder))
    else:
        notes.append("No memory-bandwidth fractions in these runs (GPU benchmarks report them).")
    return made


def _write_data(runs: Runs, folder: Path) -> None:
    """The tidy tables as CSV (revision diffs stay in the run folders)."""
    folder.mkdir(parents=True, exist_ok=True)
    runs.runs.to_csv(folder / "runs.csv", index=False)
    runs.revisions.drop(columns=["diff"]).to_csv(folder / "revisions.csv", index=False)
    runs.llm_calls.to_csv(folder / "llm_calls.csv", index=False)
    runs.tool_calls.to_csv(folder / "tool_calls.csv", index=False)
    runs.benchmarks.to_csv(folder / "benchmarks.csv", index=False)


def _write_tables(tables: list[Table], traces: list[Table], out: Path) -> None:
    """tables/NAME.md and tables/NAME.csv per table, plus traces.md and traces.csv."""
    folder = out / "tables"
    folder.mkdir(parents=True, exist_ok=True)
    for table in tables:
        (folder / f"{table.name}.md").write_text(table.to_markdown(folder))
        table.to_csv(folder / f"{table.name}.csv")
    (folder / "traces.md").write_text("\n".join(t.to_markdown(folder) for t in traces))
    data = [t.data for t in traces]
    (pd.concat(data, ignore_index=True) if data else pd.DataFrame()).to_csv(folder / "traces.csv", index=False)


def _markdown(out: Path, title: str, tables: list[Table], traces: list[Table], made: list[FigureFile],
              notes: list[str]) -> Path:
    """report.md: notes, tables, figure links and traces in one Markdown file."""
    parts = [f"# {title}\n", *(f"> {n}\n" for n in notes), *(t.to_markdown(out) for t in tables), "## Figures\n"]
    parts += [f"![{f.caption}]({f.png.relative_to(out).as_posix()})\n\n{f.caption}\n" for f in made]
    parts += ["## Optimization traces\n", *(t.to_markdown(out) for t in traces)]
    path = out / "report.md"
    path.write_text("\n".join(parts))
    return path


def _isolation_notes(runs: Runs) -> list[str]:
    """A caution when any run's untrusted code ran without the sandbox."""
    column = runs.runs.get("isolation") if "isolation" in runs.runs else None
    weak = sorted(runs.runs.loc[column == "rlimits-only", "run"]) if column is not None else []
    if not weak:
        return []
    return [f"Isolation: {len(weak)} run(s) ran untrusted code under rlimits only, without the sandbox "
            f"(SZAGENTS_ISOLATION=rlimits-only): {', '.join(weak[:8])}{' ...' if len(weak) > 8 else ''}."]


def write_report(runs: Runs, out: Path, reference: pd.DataFrame | None = None, comparison: Table | None = None,
                 title: str = "szagents report", notes: list[str] | None = None,
                 extra_tables: list[Table] | None = None) -> Report:
    """Write every table, figure and page of a report on runs into out (created if needed).

    A study (cells with repeats) gets its grouped cells and comparisons first; extra_tables (e.g. the
    paper's published numbers beside these runs) come after them.
    """
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    notes = [*(notes or []), *_isolation_notes(runs)]
    reference = reference if reference is not None and len(reference) else reference_from_runs(runs)
    tables, traces = _tables(runs, comparison), trace_tables(runs)
    with warnings.catch_warnings(record=True) as caught:  # a layout warning is a note, not a traceback-like print
        warnings.simplefilter("always")
        made = _figures(runs, out / "figures", reference, notes)
        if is_study(runs):
            made.insert(0, study_figure(runs, out / "figures"))
    notes += [f"Figures: drawing them warned '{text}'; they were written, check their layout."
              for text in dict.fromkeys(str(w.message) for w in caught)]
    if is_study(runs):
        tables = [study_table(runs), comparison_table(runs), *tables]
    tables = [*tables, *(extra_tables or [])]
    _write_data(runs, out / "data")
    _write_tables(tables, traces, out)
    markdown = _markdown(out, title, tables, traces, made, notes)
    html = render_html(out / "report.html", title, runs, tables, traces, made, notes)
    return Report(out, runs, tables, traces, made, html, markdown)
