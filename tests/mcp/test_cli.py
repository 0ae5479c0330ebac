"""The command line: `szagents mcp` and `szagents run --agent external` refuse bad input with exit code 2."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from szagents.cli.mcp import TOOL_CALLS_PER_ITERATION, parse_budgets, required_token
from szagents.errors import SzAgentsError
from szagents.tasks.catalog import get_task
from tests.mcp.clients import TASK


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "szagents.cli", *args], capture_output=True, text=True, timeout=120)


def test_budget_defaults_and_overrides():
    """No --budget: 4 tool calls per iteration of the task and its wall time; tool_calls/wall override them."""
    task = get_task(TASK)
    _, budgets = parse_budgets(TASK, None)
    assert budgets.tool_calls == TOOL_CALLS_PER_ITERATION * task.budgets.iterations
    assert budgets.wall_seconds == task.budgets.wall_seconds
    recorded, budgets = parse_budgets(TASK, "tool_calls=7,wall=90")
    assert (budgets.tool_calls, budgets.wall_seconds, recorded.wall_seconds) == (7, 90.0, 90.0)


def test_a_token_is_required_off_loopback():
    """Loopback and stdio need no token; any other address gets a generated one unless one is given."""
    assert required_token("streamable-http", "127.0.0.1", None) == (None, False)
    assert required_token("streamable-http", "::1", "given") == ("given", False)
    assert required_token("stdio", "0.0.0.0", None) == (None, False)
    token, generated = required_token("streamable-http", "0.0.0.0", None)
    assert generated and len(token) >= 32 and token != required_token("streamable-http", "10.1.2.3", None)[0]
    assert required_token("streamable-http", "192.0.2.7", "mine") == ("mine", False)


@pytest.mark.parametrize("text", ["tool_calls=0", "calls=5", "wall=soon", "tool_calls"])
def test_bad_budget_items_are_named(text):
    """Each bad item is named in the error with the accepted form."""
    with pytest.raises(SzAgentsError, match=f"bad --budget item '{text}'.*e.g. --budget tool_calls=160,wall=3600"):
        parse_budgets(TASK, text)


def test_a_misspelt_budget_key_is_named_with_the_likely_one():
    """A misspelt key is named, with the closest valid key and the list of keys."""
    with pytest.raises(SzAgentsError) as refused:
        parse_budgets(TASK, "wall=60,tool_cals=5")
    assert ("bad --budget item 'tool_cals=5': unknown key 'tool_cals' (did you mean 'tool_calls'?); keys: tool_calls, "
            "iterations, tokens, wall, wall_seconds, deadline") in str(refused.value)


@pytest.mark.parametrize(("args", "message"), [
    (("mcp", "--task", TASK, "--transport", "sse"), "unknown --transport 'sse'"),
    (("mcp", "--task", TASK, "--tier", "guru"), "unknown --tier 'guru'"),
    (("run", "--task", TASK, "--agent", "external"), "--agent external needs --command"),
    (("run", "--task", "szx-optimize-cuda", "--agent", "external", "--command", "true"), "cannot run task"),
    (("run", "--task", TASK, "--agent", "robot"), "bad --agent 'robot'; use one of: graph, external"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, args, message):
    """Bad options end with exit code 2 and a one-line error naming the value and the fix."""
    result = _cli(*args, "--runs-dir", str(tmp_path))
    assert result.returncode == 2 and message in " ".join(result.stdout.split() + result.stderr.split())
    assert not list(tmp_path.iterdir())  # nothing was started


def test_a_taken_port_is_a_clear_error(tmp_path):
    """Serving on a port that is already bound fails with exit 2 and the fix, and writes no run folder."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _cli("mcp", "--task", TASK, "--transport", "streamable-http", "--port", str(port),
                      "--runs-dir", str(tmp_path))
    assert result.returncode == 2 and "is the port taken" in " ".join(result.stdout.split() + result.stderr.split())
    assert not list(tmp_path.iterdir())
