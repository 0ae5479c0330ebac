"""LangGraph agents with their tools through MCP (--tools mcp) leave the trajectory an in-process run leaves."""

from __future__ import annotations

import subprocess
import sys

import pytest

from szagents.errors import HarnessError
from szagents.mcp.bridge import McpClientThread
from szagents.trajectory import read_run


def _shape(run_dir) -> list[tuple]:
    """Per event what must not depend on where the tools ran: kind, tool, verdict, revision and the tool's answer.

    Interleaved comparisons are left out: whether the validator compares two revisions follows from one
    benchmark each, which the machine's load can move past the margins in one run and not in the other.
    """
    rows = []
    for e in read_run(run_dir):
        if e.event == "comparison":
            continue
        answer = e.output.splitlines()[0] if e.event == "tool_call" else None
        rows.append((e.event, getattr(e, "tool", None), getattr(e, "verdict", None), getattr(e, "number", None),
                     getattr(e, "ok", None), answer if answer and "compile: ok" not in answer else None))
    return rows


@pytest.mark.slow
def test_tools_through_mcp_give_an_equivalent_trajectory(tmp_path, demo_run):
    """The scripted demo through `szagents run --tools mcp` and in-process (the shared demo run): same events,
    answers and revisions."""
    cli = subprocess.run([sys.executable, "-m", "szagents.cli", "run", "--task", "szx-optimize-cpu", "--model",
                          "scripted:demo", "--tier", "expert", "--quick", "--tools", "mcp", "--runs-dir", str(tmp_path),
                          "--run-id", "mcp"], capture_output=True, text=True, timeout=600)
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert (tmp_path / "mcp" / "run.json").read_text().count('"tools": "mcp"') == 1
    through_mcp, in_process = _shape(tmp_path / "mcp"), _shape(demo_run.run_dir)
    assert through_mcp == in_process
    kinds = [row[0] for row in in_process]
    assert kinds.count("tool_call") >= 10 and "rollback" in kinds
    assert [r[2] for r in in_process if r[0] == "revision"] == ["ok", "compile_error", "bound_violation", "ok", "ok", "ok"]


def test_no_server_is_a_harness_error_naming_the_address():
    """A bridge that cannot reach its server fails with a HarnessError naming the URL (nothing hangs)."""
    with pytest.raises(HarnessError, match="127.0.0.1:9/mcp"):
        with McpClientThread("http://127.0.0.1:9/mcp", timeout_s=2):
            pass
