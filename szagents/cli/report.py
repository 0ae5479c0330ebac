"""`szagents report`: tables, figures and an HTML page from run folders; `--compare A B` puts two sets side by side.

Register on the main app with `app.command("report")(report_command)`.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from szagents.errors import InputError

if TYPE_CHECKING:  # the analysis stack (pandas, matplotlib) loads only when a report is made
    from szagents.analysis.loading.runs import Runs
    from szagents.analysis.report.write import Report

__all__ = ["report", "report_command"]


def _load(paths: list[Path], notes: list[str]) -> Runs:
    """Runs under paths; reader warnings become report notes (and are shown on stderr)."""
    from szagents.analysis.loading.runs import find_run_dirs, load_runs
    from szagents.trajectory import TrajectoryWarning

    if not find_run_dirs(paths):
        raise InputError(f"no run folders (folders with trajectory.jsonl) under {', '.join(map(str, paths))}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TrajectoryWarning)
        runs = load_runs(paths)
    for warning in caught:
        notes.append(f"warning: {warning.message}")
        typer.echo(f"warning: {warning.message}", err=True)
    return runs


def _labels(a: list[Path], b: list[Path]) -> tuple[str, str]:
    """Labels of the compared sets: their folder names when each is one distinct folder, else A and B."""
    if len(a) == 1 and len(b) == 1 and a[0].name != b[0].name:
        return a[0].name, b[0].name
    return "A", "B"


def _subset(every: Runs, paths: list[Path]) -> Runs:
    """The runs of every that live under paths."""
    from szagents.analysis.loading.runs import find_run_dirs

    folders = {str(d) for d in find_run_dirs(paths)}
    return every.select(every.runs.loc[every.runs["run_dir"].isin(folders), "run"])


def report(runs: list[Path], out: Path, compare: tuple[list[Path], list[Path]] | None = None,
           reference: Path | None = None, title: str = "szagents report", paper: bool = False) -> Report:
    """Write the report on the runs under `runs` (and both compared sets) into out; paper: the study's numbers beside."""
    from szagents.analysis.tables.compare import compare as compare_runs
    from szagents.analysis.tables.paper import paper_tables
    from szagents.analysis.loading.reference import load_reference
    from szagents.analysis.report.write import write_report
    from szagents.analysis.tables.study import comparison_table, set_comparisons

    notes: list[str] = []
    refs = load_reference(reference) if reference is not None else None
    if compare is None:
        loaded = _load(runs, notes)
        return write_report(loaded, out, reference=refs, title=title, notes=notes,
                            extra_tables=paper_tables(loaded) if paper else None)
    every = _load([*compare[0], *compare[1], *runs], notes)
    first, second = _subset(every, compare[0]), _subset(every, compare[1])
    if not len(first) or not len(second):
        raise InputError(f"--compare needs runs on both sides; found {len(first)} and {len(second)}")
    labels = _labels(*compare)
    table = compare_runs(first, second, labels)
    tested = comparison_table(every, set_comparisons(first, second, labels))
    return write_report(every, out, reference=refs, comparison=table, title=f"{title}: {labels[0]} vs {labels[1]}",
                        notes=notes, extra_tables=[tested, *(paper_tables(every) if paper else [])])


def report_command(
    run_dirs: Annotated[Optional[list[Path]], typer.Argument(
        help="run folders, or folders with run folders below them (a sweep)", exists=True, file_okay=False)] = None,
    out: Annotated[Path, typer.Option(help="folder that receives report.html, report.md, tables/, figures/, data/")] = Path("report"),
    compare: Annotated[Optional[tuple[Path, Path]], typer.Option(
        help="two folders of runs A B to put side by side (e.g. single vs multi agent)", exists=True, file_okay=False)] = None,
    reference: Annotated[Optional[str], typer.Option(
        help="'paper': the study's published numbers (V100, CS-3) beside yours; or a CSV/JSON of reference-kernel "
             "GB/s: kernel, backend, compress_gbps, decompress_gbps")] = None,
    title: Annotated[str, typer.Option(help="title of the report")] = "szagents report",
) -> None:
    """Rebuild the study's tables and figures (and more) from run folders; write an HTML report."""
    if not run_dirs and compare is None:
        raise InputError("name run folders (szagents report RUN_DIR... --out report/) or two sets (--compare A B)")
    start = time.perf_counter()
    paper = reference == "paper"
    if reference is not None and not paper and not Path(reference).is_file():
        raise InputError(f"--reference {reference!r} is neither 'paper' nor a CSV/JSON file")
    made = report(list(run_dirs or []), out, ([compare[0]], [compare[1]]) if compare else None,
                  None if paper or reference is None else Path(reference), title, paper)
    typer.echo(f"report on {len(made.runs)} runs written in "
               f"{time.perf_counter() - start:.1f} s: {made.html} (and report.md, tables/, figures/, data/)")
