"""The live progress view: what a user reads on the terminal while a run goes."""

from __future__ import annotations

import io

from rich.console import Console

from szagents.cli.progress import ProgressPrinter
from szagents.trajectory import Verdict
from szagents.trajectory.events import RevisionEvent, ToolCall

SUMMARY = ("Fix constant-block test (radius <= eb); single-threaded chunked encoder with a sizing pass and a "
           "prefix sum over the chunk sizes")


def _printed(*events: ToolCall) -> str:
    out = io.StringIO()
    printer = ProgressPrinter(Console(file=out, width=400, color_system=None))
    for event in events:
        printer(event)
    return out.getvalue()


def _call(tool: str, output: str) -> ToolCall:
    return ToolCall(run_id="r", role="optimizer", tool=tool, args={}, ok=True, output=output, duration_s=0.1)


def test_a_submit_line_shows_the_whole_summary():
    """A submit's summary (up to 200 characters) is printed whole, not cut mid-phrase."""
    text = _printed(_call("submit", f"submitted (optimizer): {SUMMARY}\nThe validator now compiles ..."))
    assert text.strip() == f"submit: submitted (optimizer): {SUMMARY}"


def test_a_long_first_line_is_cut_with_an_ellipsis():
    """Other tools show their first line; cut at 100 characters, the cut is marked."""
    text = _printed(_call("read_file", "kernel.c: " + "x" * 200 + "\nmore"))
    line = text.strip()
    assert line.startswith("read_file: kernel.c: xxx") and line.endswith("...") and len(line) == len("read_file: ") + 100


def test_a_revision_line_spells_its_verdict_as_the_logs_do():
    """A typed verdict prints as its value ("bound_violation"), not as the enum's name."""
    text = _printed(RevisionEvent(run_id="r", number=2, role="optimizer", action="submit", sha256="0" * 64,
                                  files=["kernel.c"], verdict=Verdict.bound_violation, correct=False))
    assert "revision 2 bound_violation:" in text and "Verdict" not in text
