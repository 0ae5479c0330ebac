"""The command line: `szagents mcp` and `szagents run --agent external` refuse bad input with exit code 2."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from szagents.cli.mcp import required_token
from szagents.external.graph import TOOL_CALLS_PER_ITERATION, parse_mcp_budgets
from szagents.errors import SzAgentsError
from szagents.tasks.catalog import get_task
from tests.mcp.clients import TASK


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "szagents.cli", *args], capture_output=True, text=True, timeout=120)


def test_budget_defaults_and_overrides():
    """No --budget: 4 tool calls per iteration of the task and its wall time; tool_calls/wall override them."""
    task = get_task(TASK)
    _, budgets = parse_mcp_budgets(TASK, None)
    assert budgets.tool_calls == TOOL_CALLS_PER_ITERATION * task.budgets.iterations
    assert budgets.wall_seconds == task.budgets.wall_seconds
    recorded, budgets = parse_mcp_budgets(TASK, "tool_calls=7,wall=90")
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
        parse_mcp_budgets(TASK, text)


def test_a_misspelt_budget_key_is_named_with_the_likely_one():
    """A misspelt key is named, with the closest valid key and the list of keys."""
    with pytest.raises(SzAgentsError) as refused:
        parse_mcp_budgets(TASK, "wall=60,tool_cals=5")
    assert ("bad --budget item 'tool_cals=5': unknown key 'tool_cals' (did you mean 'tool_calls'?); keys: tool_calls, "
            "iterations, tokens, wall, wall_seconds, deadline") in str(refused.value)


@pytest.mark.slow  # a CLI process per case: about 1.0-1.4 s each
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


@pytest.mark.slow
def test_a_taken_port_is_a_clear_error(tmp_path):
    """Serving on a port that is already bound fails with exit 2 and the fix, and writes no run folder."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _cli("mcp", "--task", TASK, "--transport", "streamable-http", "--port", str(port),
                      "--runs-dir", str(tmp_path))
    assert result.returncode == 2 and f"cannot serve on 127.0.0.1:{port}: the port is taken; pass another --port" in \
        " ".join(result.stdout.split() + result.stderr.split())
    assert not list(tmp_path.iterdir())


@pytest.mark.slow  # a CLI process per case: about 1.0-1.4 s each
@pytest.mark.parametrize(("args", "message"), [
    (("--port", "99999"), "bad --port 99999: a TCP port is 0-65535 (0: any free port)"),
    (("--port", "-1"), "bad --port -1: a TCP port is 0-65535"),
    (("--host", "no-such-host.invalid"), "bad --host 'no-such-host.invalid':"),
])
def test_bad_ports_and_hosts_exit_2_with_the_valid_range(tmp_path, args, message):
    """A port out of range or a host that does not resolve: exit 2, one line naming it, no run folder."""
    result = _cli("mcp", "--task", TASK, "--transport", "streamable-http", *args, "--runs-dir", str(tmp_path))
    assert result.returncode == 2 and result.stderr.startswith(f"error: {message}"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not list(tmp_path.iterdir())


@pytest.mark.slow
def test_a_session_without_tool_calls_leaves_no_run_folder(tmp_path):
    """Over stdio, listing tools, prompts and files and reading one writes nothing; the server says so."""
    import tempfile

    import anyio

    from tests.mcp.clients import stdio_session

    async def scenario(errlog):
        async with stdio_session("--task", "szx-optimize-cpu", "--runs-dir", str(tmp_path), "--run-id", "bare",
                                 errlog=errlog) as session:
            tools = (await session.list_tools()).tools
            await session.get_prompt("brief")
            names = [r.name for r in (await session.list_resources()).resources]
            source = (await session.read_resource("szagents://workspace/kernel.c")).contents[0].text
            return tools, names, source

    with tempfile.TemporaryFile("w+") as errlog:
        tools, names, source = anyio.run(scenario, errlog)
        errlog.seek(0)
        said = " ".join(errlog.read().split())
    assert len(tools) == 9 and names == ["README.md", "kernel.c", "sz_abi.h"] and "sz_compress" in source
    assert not list(tmp_path.iterdir())
    assert f"The run folder {tmp_path / 'bare'} is written at the first tool call" in said
    assert said.endswith("no tool call was made: no run folder written")


@pytest.mark.slow
def test_the_first_call_of_an_optimize_run_announces_the_baseline(tmp_path):
    """The handshake and a log message (before the answer) say the first call measures the baseline; its answer
    reports it."""
    import anyio

    from tests.mcp.clients import stdio_session, text

    heard: list[str] = []

    async def log(params) -> None:
        heard.append(str(params.data))

    async def scenario():
        async with stdio_session("--task", "szx-optimize-cpu", "--runs-dir", str(tmp_path), "--run-id", "b", "--quick",
                                 logging_callback=log) as session:
            before = list(heard)
            answer = await session.call_tool("list_files", {})
            return before, answer

    before, answer = anyio.run(scenario)
    assert before == [] and len(heard) == 1
    assert heard[0].startswith("szagents: this first tool call starts the run: the starting code is measured as the "
                               "baseline (compile, validate, benchmark) before the call runs")
    assert "kernel.c" in text(answer) and "Revision 1 is correct and the best so far" in text(answer)
    assert (tmp_path / "b" / "trajectory.jsonl").exists()


@pytest.mark.slow
def test_off_loopback_the_token_is_one_line_and_sigterm_is_an_interruption(tmp_path):
    """Bound to 0.0.0.0 at 40 columns, the generated token is printed whole on its own line and works; SIGTERM
    ends the run as interrupted (exit 143), not as the agent's stop."""
    import os
    import queue
    import re
    import signal
    import threading

    import anyio

    from tests.mcp.clients import http_session

    env = {**os.environ, "COLUMNS": "40"}
    env.pop("SZAGENTS_MCP_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-m", "szagents.cli", "mcp", "--task", TASK, "--transport",
                             "streamable-http", "--host", "0.0.0.0", "--port", "0", "--runs-dir", str(tmp_path),
                             "--run-id", "t"], stderr=subprocess.PIPE, text=True, env=env)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()
    said: list[str] = []
    try:
        while not any("MCP server for run" in line for line in said):
            said.append(lines.get(timeout=120))
        token = next(m.group(1) for line in said if (m := re.fullmatch(r"Authorization: Bearer (\S+)\n", line)))
        port = re.search(r"http://0\.0\.0\.0:(\d+)/mcp", "".join(said)).group(1)

        async def scenario():
            async with http_session(f"http://127.0.0.1:{port}/mcp", "token-client", token=token) as session:
                return await session.call_tool("list_files", {})

        assert len(token) >= 32 and not anyio.run(scenario).isError
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    assert proc.returncode == 143
    from szagents.trajectory import read_run

    assert [e.stop_reason for e in read_run(tmp_path / "t") if e.event == "run_end"] == ["interrupted"]
