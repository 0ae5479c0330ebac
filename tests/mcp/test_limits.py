"""Budgets are enforced by the server with an MCP error; bad calls are error results; runs are isolated."""

from __future__ import annotations

import time

import anyio
import mcp.types as types
import pytest
from mcp.shared.exceptions import McpError

from szagents.external.run import McpBudgets, McpRun
from szagents.mcp.host import Caller, RunOver
from szagents.mcp.limits import TOO_LARGE, request_limit
from szagents.mcp.server import RUN_OVER
from szagents.trajectory import read_run
from szagents.workspace.workspace import MAX_FILE_BYTES
from tests.mcp.clients import TASK, config, http_session, served, text


def test_tool_call_budget_ends_the_run_with_an_mcp_error(tmp_path):
    """With 3 tool calls, the third says the run ended and the fourth is an MCP error (code RUN_OVER)."""
    with served(tmp_path, "b", tool_calls=3) as (run, url):
        async def scenario():
            async with http_session(url, "budget-client") as session:
                answers = [await session.call_tool("list_files", {}) for _ in range(3)]
                with pytest.raises(McpError) as refused:
                    await session.call_tool("list_files", {})
                return answers, refused.value

        answers, refused = anyio.run(scenario)
        assert run.ended
    assert "stop reason budget_tool_calls" in text(answers[-1]) and "ended" not in text(answers[0])
    assert refused.error.code == RUN_OVER and "no more tool calls" in refused.error.message
    events = read_run(tmp_path / "b")
    calls = [e for e in events if e.event == "tool_call"]
    assert [c.ok for c in calls] == [True, True, True, False]
    assert [e.stop_reason for e in events if e.event == "run_end"] == ["budget_tool_calls"]


@pytest.mark.slow
def test_wall_time_budget(tmp_path):
    """Once the wall-time budget has passed since the first call, the next call is refused and the run ends."""
    with served(tmp_path, "w", wall_seconds=1.0) as (run, url):
        async def scenario():
            async with http_session(url, "wall-client") as session:
                first = await session.call_tool("list_files", {})
                await anyio.sleep(1.2)
                with pytest.raises(McpError) as refused:
                    await session.call_tool("list_files", {})
                return first, refused.value

        first, refused = anyio.run(scenario)
    assert not first.isError and refused.error.code == RUN_OVER and "wall-time budget of 1 s" in refused.error.message
    assert [e.stop_reason for e in read_run(tmp_path / "w") if e.event == "run_end"] == ["budget_wall"]


def test_a_call_after_the_runners_deadline_is_refused_whatever_the_wall_budget(tmp_path):
    """The deadline a runner passes (epoch seconds) ends the run at the first call past it, even with wall time left."""
    budgets = McpBudgets(tool_calls=5, wall_seconds=3600, deadline_epoch=time.time() - 1)
    with McpRun(config(tmp_path, "late"), budgets) as run:
        with pytest.raises(RunOver, match="wall-time budget"):
            run.call("list_files", {}, Caller("late-client"))
    events = read_run(tmp_path / "late")
    assert [e.stop_reason for e in events if e.event == "run_end"] == ["budget_wall"]
    assert [e.ok for e in events if e.event == "tool_call"] == [False]


def test_bad_arguments_are_error_results_and_the_server_goes_on(tmp_path):
    """Wrong types, missing or unknown arguments, unknown tools and paths are isError results; the next call works."""
    with served(tmp_path, "e") as (run, url):
        async def scenario():
            async with http_session(url, "sloppy-client") as session:
                bad = [await session.call_tool("read_file", {"path": 3}), await session.call_tool("write_file", {}),
                       await session.call_tool("no_such_tool", {}), await session.call_tool("read_file", {"path": "../x"}),
                       await session.call_tool("compile", {"flags": "-O0"})]
                with pytest.raises(McpError):
                    await session.read_resource("szagents://workspace/..%2Fetc%2Fpasswd")
                return bad, await session.call_tool("list_files", {})

        bad, fine = anyio.run(scenario)
    assert all(r.isError for r in bad) and not fine.isError
    assert "invalid arguments (path: Input should be a valid string)" in text(bad[0])
    assert "content: Field required" in text(bad[1]) and "unknown tool 'no_such_tool'" in text(bad[2])
    assert "uses '..'" in text(bad[3])
    assert text(bad[4]) == "error: invalid arguments (flags: unknown argument); this tool takes no arguments"
    calls = [e for e in read_run(tmp_path / "e") if e.event == "tool_call"]
    assert [c.ok for c in calls] == [False, False, False, False, False, True]


def test_two_clients_on_two_runs_share_nothing(tmp_path):
    """Two runs served at once: each client sees only its own files, and each trajectory only its own calls."""
    with served(tmp_path, "a") as (run_a, url_a), served(tmp_path, "b") as (run_b, url_b):
        async def client(url: str, name: str, results: dict) -> None:
            async with http_session(url, name) as session:
                await session.call_tool("write_file", {"path": "kernel.c", "content": f"// {name}\n"})
                await session.call_tool("write_file", {"path": f"{name}.h", "content": "\n"})
                listing = await session.call_tool("list_files", {})
                source = await session.read_resource("szagents://workspace/kernel.c")
                results[name] = (text(listing), source.contents[0].text)

        async def scenario():
            results: dict = {}
            async with anyio.create_task_group() as group:
                group.start_soon(client, url_a, "client-a", results)
                group.start_soon(client, url_b, "client-b", results)
            return results

        results = anyio.run(scenario)
    assert results["client-a"][1] == "// client-a\n" and results["client-b"][1] == "// client-b\n"
    assert "client-a.h" in results["client-a"][0] and "client-b.h" not in results["client-a"][0]
    assert "client-b.h" in results["client-b"][0] and "client-a.h" not in results["client-b"][0]
    for run_id, name in (("a", "client-a"), ("b", "client-b")):
        events = read_run(tmp_path / run_id)
        assert {e.run_id for e in events} == {run_id}
        assert [c.agent for c in events if c.event == "tool_call"] == [f"{name}/9.9"] * 3


BIG = 21_000_000  # characters of a write_file content: 21 MB, far over the workspace's 1 MB per-file cap


def _refused_then_served(error: McpError, after: types.CallToolResult, size_over: int) -> None:
    """The oversized call got the TOO_LARGE MCP error naming the per-file cap; the next call on the session worked."""
    assert error.error.code == TOO_LARGE
    assert f"over this server's limit of {request_limit(MAX_FILE_BYTES):,} bytes" in error.error.message
    assert f"A workspace file is at most {MAX_FILE_BYTES:,} bytes (the per-file cap)" in error.error.message
    assert int(error.error.message.split()[2].replace(",", "")) > size_over
    assert not after.isError and "reference.cu" in text(after)


def test_a_21_mb_write_over_http_is_an_mcp_error_and_the_session_survives(tmp_path):
    """The official SDK client over streamable HTTP: a 21 MB write_file gets an MCP error naming the cap, not HTTP
    413; the same session then lists the files."""
    with served(tmp_path, "big") as (run, url):
        async def scenario():
            async with http_session(url, "big-client") as session:
                with pytest.raises(McpError) as refused:
                    await session.call_tool("write_file", {"path": "kernel.c", "content": "x" * BIG})
                return refused.value, await session.call_tool("list_files", {})

        error, after = anyio.run(scenario)
    _refused_then_served(error, after, BIG)
    assert not (tmp_path / "big" / "workspace" / "kernel.c").exists()


@pytest.mark.slow
def test_a_21_mb_write_over_stdio_is_the_same_mcp_error(tmp_path):
    """Over stdio the same request gets the same error, and the session goes on."""
    from tests.mcp.clients import stdio_session

    async def scenario():
        async with stdio_session("--task", TASK, "--runs-dir", str(tmp_path), "--run-id", "s", "--quick") as session:
            with pytest.raises(McpError) as refused:
                await session.call_tool("write_file", {"path": "kernel.c", "content": "x" * BIG})
            return refused.value, await session.call_tool("list_files", {})

    error, after = anyio.run(scenario)
    _refused_then_served(error, after, BIG)


def test_a_write_over_the_cap_but_under_the_request_limit_is_the_tools_error(tmp_path):
    """2 MB: the request passes, the workspace refuses the file (an error result naming the cap), as in-process."""
    with served(tmp_path, "mid") as (run, url):
        async def scenario():
            async with http_session(url, "mid-client") as session:
                return await session.call_tool("write_file", {"path": "kernel.c", "content": "x" * 2_000_000})

        answer = anyio.run(scenario)
    assert answer.isError and f"files are limited to {MAX_FILE_BYTES} bytes" in text(answer)
