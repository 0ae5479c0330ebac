"""A display table (cells with marks and links) that renders to Markdown and HTML, plus its tidy data for CSV."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["Cell", "Table", "short_model", "fmt_gbps", "fmt_num", "fmt_int", "fmt_joules", "run_anchor", "revision_anchor",
           "with_sdk", "DASH"]

DASH = "—"


def fmt_gbps(value: Any) -> str:
    """A throughput: 1 decimal from 10 GB/s up (as in the study's tables), 2 from 1, 3 below; a dash for none."""
    number = _finite(value)
    if number is None:
        return DASH
    digits = 1 if abs(number) >= 10 else 2 if abs(number) >= 1 else 3
    return f"{number:.{digits}f}"


def fmt_num(value: Any, digits: int = 2) -> str:
    """A number with a fixed count of decimals; a dash for none."""
    number = _finite(value)
    return DASH if number is None else f"{number:.{digits}f}"


def fmt_joules(compress: Any, decompress: Any) -> str:
    """Joules per GB of compression/decompression, 3 significant digits; a dash for each one missing (or for both)."""
    shown = [DASH if (number := _finite(v)) is None else f"{number:.3g}" for v in (compress, decompress)]
    return DASH if shown == [DASH, DASH] else "/".join(shown)


def fmt_int(value: Any) -> str:
    """An integer with thousands separators; a dash for none."""
    number = _finite(value)
    return DASH if number is None else f"{int(round(number)):,}"


def with_sdk(text: str, sdk_version: Any) -> str:
    """text, followed by the SDK that produced the results when there is one (never mixed silently)."""
    return f"{text} ({sdk_version})" if isinstance(sdk_version, str) and sdk_version else text


def run_anchor(run: str) -> str:
    """The HTML id of a run's drill-down section."""
    return "run-" + "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in run)


def revision_anchor(run: str, number: int) -> str:
    """The HTML id of one revision inside a run's drill-down."""
    return f"{run_anchor(run)}-rev-{int(number)}"


def _finite(value: Any) -> float | None:
    """value as a finite float, or None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@dataclass(frozen=True)
class Cell:
    """One displayed cell: text, optional marks (arrow, star), a link to a file and an in-page anchor."""

    text: str
    marks: str = ""  # e.g. "↑ ★"
    link: Path | None = None  # a file or folder the cell points to (rendered relative to the report)
    anchor: str | None = None  # an id in the HTML report (the run drill-down)
    css: str = ""  # up | down | best | bad ... for HTML styling

    def plain(self) -> str:
        """The text with its marks."""
        return f"{self.text} {self.marks}".strip()


def _escape_md(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _relative(path: Path, base: Path | None) -> str:
    """path relative to base, with forward slashes."""
    if base is None:
        return path.as_posix()
    return Path(os.path.relpath(path, base)).as_posix()


@dataclass(frozen=True)
class Table:
    """A titled table: header, rows of cells, alignment ("l"/"r" per column), notes, and the tidy data behind it."""

    name: str
    title: str
    header: list[str]
    rows: list[list[Cell]]
    data: pd.DataFrame
    align: str = ""
    notes: list[str] = field(default_factory=list)

    def _align(self) -> str:
        """One alignment letter per column."""
        return (self.align or "l" * len(self.header)).ljust(len(self.header), "l")

    def to_markdown(self, base: Path | None = None) -> str:
        """GitHub-flavoured Markdown; links are written relative to base (the report folder)."""
        rule = ["---:" if a == "r" else ":---" for a in self._align()]
        lines = [f"| {' | '.join(map(_escape_md, self.header))} |", f"| {' | '.join(rule)} |"]
        for row in self.rows:
            cells = [_escape_md(f"[{c.text}]({_relative(c.link, base)}) {c.marks}".strip() if c.link else c.plain())
                     for c in row]
            lines.append(f"| {' | '.join(cells)} |")
        if not self.rows:
            lines.append("| " + " | ".join(["(none)"] + [""] * (len(self.header) - 1)) + " |")
        notes = "".join(f"\n{note}\n" for note in self.notes)
        return f"### {self.title}\n\n" + "\n".join(lines) + "\n" + notes

    def to_csv(self, path: Path) -> None:
        """The tidy data behind the table, as CSV."""
        self.data.to_csv(path, index=False)

    def html_rows(self, base: Path | None = None) -> list[list[dict[str, Any]]]:
        """Rows as dicts for the HTML template: text, marks, href (anchor first, else relative link), css."""
        def href(cell: Cell) -> str | None:
            """The cell's link target in the page."""
            if cell.anchor:
                return f"#{cell.anchor}"
            return _relative(cell.link, base) if cell.link else None
        return [[{"text": c.text, "marks": c.marks, "href": href(c), "css": c.css} for c in row] for row in self.rows]


LABEL_CHARS = 36
"""Longest model name in a label (a longer one keeps its head and tail around '…')."""


def short_model(spec: str) -> str:
    """A model spec without its provider prefix or folders ('openai:gpt-5.1-codex' -> 'gpt-5.1-codex'), at most
    LABEL_CHARS long so a long served-model name cannot squeeze a figure's panel or a study table's column."""
    name = spec.split(":", 1)[-1]
    name = Path(name).name if "/" in name else name
    if len(name) <= LABEL_CHARS:
        return name
    head = (LABEL_CHARS - 1) // 2
    return f"{name[:head]}…{name[len(name) - (LABEL_CHARS - 1 - head):]}"
