"""Real MCP client sessions over stdio and streamable HTTP record the same run a graph run would."""

from __future__ import annotations

import anyio
import httpx
import pytest

from szagents.backends.registry import get_backend
from szagents.tasks.catalog import get_task
from szagents.tools.context import ToolContext
from szagents.tools.registry import TOOL_NAMES, make_tools
from szagents.trajectory import read_run
from szagents.workspace.materialize import materialize
from tests.mcp.clients import REFERENCE, TASK, served, http_session, stdio_session, text, write_validate_submit


def _in_process_tools(tmp_path) -> dict[str, tuple[str, dict]]:
    task = get_task(TASK)
    ctx = ToolContext.for_task(task, materialize(task, tmp_path / "local"), get_backend("cpu"))
    return {t.name: (t.description, t.args_schema.model_json_schema()) for t in make_tools(ctx)}


def _check_recorded(run_dir, agent: str) -> None:
    """tool calls with the client as agent, revision 1 correct, run_end, best/ and the checkpoint."""
    events = read_run(run_dir)
    start, end = events[0], [e for e in events if e.event == "run_end"]
    assert start.event == "run_start" and start.team == "external" and start.models["translator"] == f"mcp:{agent}"
    calls = [e for e in events if e.event == "tool_call"]
    assert [c.tool for c in calls][-3:] == ["write_file", "validate", "submit"]
    assert all(c.agent == agent and c.ok and c.role == "translator" for c in calls[-3:])
    revisions = [e for e in events if e.event == "revision"]
    assert [(r.number, r.verdict, r.correct, r.is_best) for r in revisions] == [(1, "ok", True, True)]
    assert [e.by for e in events if e.event == "validation"] == ["tool", "validator"]
    assert len(end) == 1 and end[0].best_revision == 1 and end[0].stop_reason == "agent_stop"
    assert (run_dir / "best" / "kernel.c").read_text() == REFERENCE.read_text()
    assert (run_dir / "revisions" / "001" / "revision.json").exists() and (run_dir / "checkpoints.sqlite").exists()


@pytest.mark.slow
def test_stdio_session_lists_the_tools_and_records_a_revision(tmp_path):
    """Over stdio to `szagents mcp`: in-process tool schemas, brief, files; write/validate/submit become a revision."""
    async def scenario():
        args = ("--task", TASK, "--runs-dir", str(tmp_path), "--run-id", "r", "--quick")
        async with stdio_session(*args) as session:
            tools = (await session.list_tools()).tools
            brief = await session.get_prompt("brief")
            names = [r.name for r in (await session.list_resources()).resources]
            source = await session.read_resource("szagents://workspace/reference.cu")
            return tools, brief, names, source, await write_validate_submit(session)

    tools, brief, names, source, results = anyio.run(scenario)
    expected = _in_process_tools(tmp_path)
    assert tuple(t.name for t in tools) == TOOL_NAMES
    assert all((t.description, t.inputSchema) == expected[t.name] for t in tools)
    assert TASK in brief.messages[0].content.text and "submit" in brief.messages[0].content.text
    assert names == ["README.md", "reference.cu", "sz_abi.h"]
    assert source.contents[0].text == (REFERENCE.parent / "reference.cu").read_text()
    assert "validation: ok" in text(results["validate"]) and not results["submit"].isError
    assert "Revision 1 is correct and the best so far" in text(results["submit"])
    _check_recorded(tmp_path / "r", "stdio-test-client/9.9")


@pytest.mark.slow
def test_http_session_with_a_bearer_token(tmp_path):
    """Over streamable HTTP on 127.0.0.1 with a token: no token is refused (401); with it, the same run is recorded."""
    with served(tmp_path, "h", token="secret-token") as (run, url):
        refused = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})

        async def scenario():
            async with http_session(url, "http-test-client", token="secret-token") as session:
                return await write_validate_submit(session)

        results = anyio.run(scenario)
    assert refused.status_code == 401
    assert not any(r.isError for r in results.values()), {k: text(r) for k, r in results.items()}
    _check_recorded(tmp_path / "h", "http-test-client/9.9")


def test_shell_tool_only_when_asked(tmp_path):
    """A run configured with shell=True lists the shell tool, and it runs in the workspace."""
    with served(tmp_path, "s", shell=True) as (run, url):
        async def scenario():
            async with http_session(url, "shell-client") as session:
                names = [t.name for t in (await session.list_tools()).tools]
                return names, await session.call_tool("shell", {"command": "ls"})

        names, listing = anyio.run(scenario)
    assert names == [*TOOL_NAMES, "shell"]
    assert "exit status 0" in text(listing) and "reference.cu" in text(listing)


@pytest.mark.slow
def test_an_optimize_run_measures_the_baseline_and_tells_the_agent_once(tmp_path):
    """For an optimize task the first call measures the starting code (revision 1, baseline); its answer says so once."""
    with served(tmp_path, "o", task="szx-optimize-cpu") as (run, url):
        async def scenario():
            async with http_session(url, "optimizer-client") as session:
                return [text(await session.call_tool("list_files", {})) for _ in range(2)]

        first, second = anyio.run(scenario)
    assert "Revision 1 is correct and the best so far" in first and "Revision 1" not in second
    revisions = [e for e in read_run(tmp_path / "o") if e.event == "revision"]
    assert [(r.number, r.role, r.action) for r in revisions] == [(1, "baseline", "Baseline")]
    assert [c.role for c in read_run(tmp_path / "o") if c.event == "tool_call"] == ["optimizer", "optimizer"]
