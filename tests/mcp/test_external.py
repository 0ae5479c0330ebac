"""The external-agent runner: a real MCP client program as the agent, end to end, then `szagents report`."""

from __future__ import annotations

import shlex
import subprocess
import sys
import time

import pytest

from szagents.mcp.agent import AGENT_NAME
from szagents.external.runner import run_external
from szagents.external.runner_stdio import run_external_stdio
from szagents.external.run import McpBudgets
from szagents.trajectory import read_run
from tests.mcp.clients import REFERENCE, config

AGENT = f"{shlex.quote(sys.executable)} -m szagents.mcp.agent"


@pytest.mark.slow
def test_scripted_agent_end_to_end_then_report(tmp_path):
    """The scripted agent writes the reference, validates and submits; the run ends when it exits; the report reads it."""
    command = f"{AGENT} --write kernel.c={shlex.quote(str(REFERENCE))} --action 'the reference kernel'"
    outcome = run_external(config(tmp_path, "ext"), McpBudgets(tool_calls=20, wall_seconds=300), command)
    assert outcome.best is not None and outcome.best["action"] == "the reference kernel"
    log = (outcome.run_dir / "agent" / "stdout.log").read_text()
    assert "tools: list_files, read_file" in log and "submit: submitted (translator)" in log
    events = read_run(outcome.run_dir)
    assert events[0].models["translator"].startswith(f"mcp:{AGENT_NAME}/")
    assert [e.tool for e in events if e.event == "tool_call"] == ["list_files", "write_file", "validate", "submit"]
    assert [e.stop_reason for e in events if e.event == "run_end"] == ["agent_stop"]
    report = subprocess.run([sys.executable, "-m", "szagents.cli", "report", str(outcome.run_dir), "--out",
                             str(tmp_path / "report")], capture_output=True, text=True, timeout=300)
    assert report.returncode == 0, report.stderr
    summary = (tmp_path / "report" / "report.md").read_text()
    assert f"mcp:{AGENT_NAME}/" in summary and "| external |" in summary and "1/1 (100%)" in summary


@pytest.mark.slow
def test_the_runner_stops_an_agent_past_its_wall_time(tmp_path):
    """A command that never finishes is stopped at the wall-time budget (plus grace) and the run ends budget_wall."""
    began = time.monotonic()
    outcome = run_external(config(tmp_path, "slow"), McpBudgets(tool_calls=5, wall_seconds=1.0), "sleep 60", grace_s=0.5)
    assert time.monotonic() - began < 30
    assert outcome.state["stop_reason"] == "budget_wall" and outcome.best is None
    assert [e.event for e in read_run(outcome.run_dir)][0] == "run_start"


def test_a_failing_agent_command_is_an_error_stop(tmp_path):
    """A command that exits non-zero ends the run with stop reason error and an error event naming its stderr."""
    outcome = run_external(config(tmp_path, "bad"), McpBudgets(tool_calls=5, wall_seconds=60),
                           "echo 'no such agent' >&2; exit 3")
    errors = [e for e in read_run(outcome.run_dir) if e.event == "error"]
    assert outcome.state["stop_reason"] == "error"
    assert errors[0].kind == "agent" and "status 3" in errors[0].message and "no such agent" in errors[0].message


@pytest.mark.slow
def test_the_runner_stops_the_agent_when_the_budget_is_spent(tmp_path):
    """An agent that goes on calling after the tool-call budget is told to stop; the run ends budget_tool_calls."""
    outcome = run_external(config(tmp_path, "spent"), McpBudgets(tool_calls=3, wall_seconds=120),
                           f"{AGENT} --extra-calls 10")
    log = (outcome.run_dir / "agent" / "stdout.log").read_text()
    assert outcome.state["stop_reason"] == "budget_tool_calls"
    assert sum(1 for e in read_run(outcome.run_dir) if e.event == "tool_call") <= 4 and "validate" in log


@pytest.mark.slow
def test_an_agent_that_starts_the_server_over_stdio(tmp_path):
    """--agent external-stdio: the agent starts `szagents mcp` from its config over stdio; the same run is recorded."""
    command = f"{AGENT} --write kernel.c={shlex.quote(str(REFERENCE))} --action 'over stdio'"
    outcome = run_external_stdio(config(tmp_path, "stdio"), McpBudgets(tool_calls=20, wall_seconds=300), command)
    assert outcome.best is not None and outcome.best["action"] == "over stdio"
    events = read_run(outcome.run_dir)
    assert events[0].models["translator"].startswith(f"mcp:{AGENT_NAME}/")
    assert [e.tool for e in events if e.event == "tool_call"] == ["list_files", "write_file", "validate", "submit"]
    assert [e.stop_reason for e in events if e.event == "run_end"] == ["agent_stop"]
    assert '"command"' in (outcome.run_dir / "agent" / "mcp.json").read_text()


@pytest.mark.slow
def test_over_stdio_a_hung_agent_is_stopped_and_recorded_as_out_of_time(tmp_path):
    """The server carries the runner's deadline: an agent stopped at its wall time leaves a budget_wall run (on a busy
    machine the runner may stop it before its server took a call; that run is out of time too)."""
    command = f"{AGENT} --extra-calls 1 --linger 60"
    outcome = run_external_stdio(config(tmp_path, "hung"), McpBudgets(tool_calls=20, wall_seconds=8), command,
                                 grace_s=1.0)
    assert outcome.state["stop_reason"] == "budget_wall"
    assert [e.stop_reason for e in read_run(outcome.run_dir) if e.event == "run_end"] == ["budget_wall"]


@pytest.mark.slow
def test_over_stdio_an_agent_stopped_before_it_started_the_server_ran_out_of_time(tmp_path):
    """A stdio agent that never starts the server is stopped at its wall time: the runner records budget_wall, not
    an error (the command's non-zero status is the runner's own stop)."""
    outcome = run_external_stdio(config(tmp_path, "idle"), McpBudgets(tool_calls=5, wall_seconds=1.0), "sleep 60",
                                 grace_s=0.5)
    assert outcome.state["stop_reason"] == "budget_wall" and outcome.best is None
    events = read_run(outcome.run_dir)
    assert events[0].event == "run_start" and not [e for e in events if e.event == "error"]
