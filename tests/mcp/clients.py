"""Real MCP client sessions for the tests: stdio to `szagents mcp`, streamable HTTP to an in-process server."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, TextIO

import mcp.types as types
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import get_default_environment, stdio_client

from szagents.mcp import client
from szagents.external.run import McpBudgets, McpRun, external_team
from szagents.mcp.server import HttpServer, http_app
from szagents.paths import kernels_dir
from szagents.run import RunConfig

TASK = "szx-translate-cpu"  # starts from reference.cu; the agent must write kernel.c
REFERENCE = kernels_dir() / "szx" / "reference.c"


def text(result: types.CallToolResult) -> str:
    """The text of a tool result."""
    return "\n".join(c.text for c in result.content if isinstance(c, types.TextContent))


def config(runs_dir: Path, run_id: str, shell: bool = False, task: str = TASK) -> RunConfig:
    return RunConfig(task=task, team=external_team("mcp"), runs_dir=runs_dir, run_id=run_id, quick=True, shell=shell)


@contextmanager
def served(runs_dir: Path, run_id: str, *, tool_calls: int = 50, wall_seconds: float = 600.0,
           token: str | None = None, shell: bool = False, task: str = TASK) -> Iterator[tuple[McpRun, str]]:
    """A recorded MCP run served over streamable HTTP on 127.0.0.1 (any free port): (run, url)."""
    with McpRun(config(runs_dir, run_id, shell, task), McpBudgets(tool_calls=tool_calls, wall_seconds=wall_seconds)) as run:
        with HttpServer(http_app(run, token, instructions=run.instructions())) as http:
            yield run, http.url


def http_session(url: str, name: str, token: str | None = None) -> AbstractAsyncContextManager[ClientSession]:
    """An initialized client session named name (version 9.9) over streamable HTTP."""
    return client.http_session(url, token, name=name, version="9.9")


@asynccontextmanager
async def stdio_session(*args: str, name: str = "stdio-test-client", errlog: TextIO = sys.stderr,
                        **session: Any) -> AsyncIterator[ClientSession]:
    """An initialized client session to `szagents mcp ARGS` started as a child process over stdio (building into
    this test session's cache); session: more ClientSession arguments (e.g. logging_callback)."""
    cache = {"SZAGENTS_CACHE": os.environ["SZAGENTS_CACHE"]} if "SZAGENTS_CACHE" in os.environ else {}
    params = StdioServerParameters(command=sys.executable, args=["-m", "szagents.cli", "mcp", *args],
                                   env={**get_default_environment(), **cache})
    async with stdio_client(params, errlog=errlog) as (read, write):
        info = types.Implementation(name=name, version="9.9")
        async with ClientSession(read, write, client_info=info, **session) as client:
            await client.initialize()
            yield client


async def write_validate_submit(session: ClientSession) -> dict[str, types.CallToolResult]:
    """The reference kernel as kernel.c, validated and submitted; every result by tool name."""
    results = {"write_file": await session.call_tool("write_file", {"path": "kernel.c", "content": REFERENCE.read_text()})}
    results["validate"] = await session.call_tool("validate", {})
    results["submit"] = await session.call_tool("submit", {"action": "the reference kernel"})
    return results
