"""Render a report as one self-contained HTML page (figures inlined as base64 SVG, no scripts, no network)."""

from __future__ import annotations

import base64
import functools
import os
import re
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import pandas as pd

from szagents.analysis.figures.plotting import FigureFile
from szagents.analysis.loading.runs import Runs
from szagents.analysis.tables.display import Table, fmt_gbps, fmt_int, fmt_num, revision_anchor, run_anchor

__all__ = ["render_html", "TEMPLATES", "DIFF_LINES"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
DIFF_LINES = 400
"""Lines of a revision's diff shown in the page (the rest is in the run folder)."""


_BREAKS = re.compile(r"([:_]|/(?=[^\d\s]))")
"""Where a table cell may wrap besides spaces and hyphens: after ':' and '_' (model specs, snake_case names) and
after a '/' of a path (not the one of '1/2')."""


def _breakable(text: object) -> markupsafe.Markup:
    """Escaped text with a <wbr> (a line-break opportunity) at each of _BREAKS, so long names wrap."""
    return markupsafe.Markup(_BREAKS.sub(r"\1<wbr>", str(markupsafe.escape(text))))


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    """The Jinja2 environment of the report template (strict undefined, HTML autoescaping)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["breakable"] = _breakable
    return env


def _table(table: Table, base: Path) -> dict[str, Any]:
    """A table as template data."""
    align = (table.align or "").ljust(len(table.header), "l")
    return {"name": table.name, "title": table.title, "header": table.header, "rows": table.html_rows(base),
            "align": align, "notes": table.notes}


def _figure(figure: FigureFile) -> dict[str, str]:
    """A figure as template data, its SVG inlined as a data URI."""
    data = base64.b64encode(figure.svg.read_bytes()).decode("ascii")
    return {"name": figure.name, "caption": figure.caption, "src": f"data:image/svg+xml;base64,{data}",
            "png": figure.png.name, "svg": figure.svg.name}


def _diff_lines(diff: str) -> tuple[list[tuple[str, str]], int]:
    """(css class, text) per shown diff line, and how many lines were left out."""
    lines = diff.splitlines()
    shown = []
    for line in lines[:DIFF_LINES]:
        css = "hunk" if line.startswith("@@") else "file" if line.startswith(("+++", "---")) else \
            "add" if line.startswith("+") else "del" if line.startswith("-") else ""
        shown.append((css, line))
    return shown, max(0, len(lines) - DIFF_LINES)


def _revision(run: str, rev: pd.Series, run_dir: Path, base: Path) -> dict[str, Any]:
    """One revision of the drill-down: measurements, detail, files folder, diff lines."""
    lines, hidden = _diff_lines(rev["diff"] if isinstance(rev["diff"], str) else "")
    measures = [("verdict", rev["verdict"]), ("Tc (GB/s)", fmt_gbps(rev["compress_gbps"])),
                ("Td (GB/s)", fmt_gbps(rev["decompress_gbps"])), ("ratio", fmt_num(rev["ratio"])),
                ("measurements", fmt_int(rev["measurements"])), ("exec time (s)", fmt_num(rev["exec_time_s"], 3)),
                ("LLM calls so far", fmt_int(rev["iteration"])), ("tokens so far", fmt_int(rev["tokens"]))]
    folder = run_dir / rev["path"]
    return {"anchor": revision_anchor(run, rev["number"]), "number": int(rev["number"]), "action": rev["action"],
            "role": rev["role"], "correct": bool(rev["runnable"]), "best": bool(rev["is_best"]),
            "detail": rev["detail"], "measures": measures, "diff": lines, "hidden": hidden,
            "folder": Path(_rel(folder, base)).as_posix()}


def _rel(path: Path, base: Path) -> str:
    """path relative to base."""
    return os.path.relpath(path, base)


def _run(runs: Runs, row: pd.Series, traces: dict[str, Table], base: Path) -> dict[str, Any]:
    """One run of the drill-down: facts, trace table, revisions."""
    run_dir = Path(row["run_dir"])
    revisions = runs.revisions[runs.revisions["run"] == row["run"]].sort_values("number")
    facts = [("model", row["model"]), ("tier", row["tier"]), ("team", row["team"]), ("task", row["task"]),
             ("backend", row["backend"]), ("stop", row["stop_reason"]), ("iterations", fmt_int(row["iterations"])),
             ("tokens", fmt_int(row["tokens"])), ("wall (s)", fmt_num(row["wall_seconds"], 1)),
             ("folder", _rel(run_dir, base))]
    trace = traces.get(row["run"])
    return {"run": row["run"], "anchor": run_anchor(row["run"]), "success": bool(row["success"]), "facts": facts,
            "trace": _table(trace, base) if trace else None,
            "revisions": [_revision(row["run"], rev, run_dir, base) for _, rev in revisions.iterrows()]}


def render_html(path: Path, title: str, runs: Runs, tables: list[Table], traces: list[Table],
                figures: list[FigureFile], notes: list[str]) -> Path:
    """Write the report page to path: tables, inlined figures, a drill-down per run with diffs and measurements."""
    base = path.parent
    by_run = {t.data["run"].iloc[0]: t for t in traces if len(t.data)}
    context = {"title": title, "notes": notes, "count": len(runs), "tables": [_table(t, base) for t in tables],
               "figures": [_figure(f) for f in figures],
               "runs": [_run(runs, row, by_run, base) for _, row in runs.runs.iterrows()]}
    path.write_text(_environment().get_template("report.html.j2").render(**context), encoding="utf-8")
    return path
