"""LangGraph agents' tools through an MCP server (langchain-mcp-adapters), as in the study's setup.

The server runs in this process on 127.0.0.1 (streamable HTTP, a one-off bearer token) over the
run's own ToolContext, so the tools emit their events to the run's trajectory exactly as
in-process; the graph records the tool calls and validates submissions as usual. The adapters'
async tools are wrapped in synchronous tools that run on a client event loop in its own thread.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from langchain_core.tools import BaseTool, StructuredTool
from langchain_mcp_adapters.tools import load_mcp_tools
from mcp.shared.exceptions import McpError

from szagents.errors import HarnessError
from szagents.mcp.client import http_session
from szagents.mcp.host import LocalTools, message_text
from szagents.mcp.server import HARNESS_ERROR, HttpServer, http_app
from szagents.tools.context import ToolContext

__all__ = ["McpClientThread", "mcp_tools"]


class McpClientThread:
    """An MCP client session over streamable HTTP, held open by an event loop in a background thread."""

    def __init__(self, url: str, token: str | None = None, *, timeout_s: float = 30.0) -> None:
        self.url, self.token, self.timeout_s = url, token, timeout_s
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="szagents-mcp-client", daemon=True)
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._held: Any = None
        self.tools: list[BaseTool] = []

    async def _hold(self) -> None:
        """Open the session, load its tools, then keep it until asked to stop (one task enters and exits)."""
        self._stop = asyncio.Event()
        try:
            async with http_session(self.url, self.token, name="szagents-langgraph") as session:
                self.tools = await load_mcp_tools(session)
                self._ready.set()
                await self._stop.wait()
        finally:
            self._ready.set()

    def run(self, coroutine: Any) -> Any:
        """Run a coroutine on the client loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def __enter__(self) -> McpClientThread:
        self._thread.start()
        self._held = asyncio.run_coroutine_threadsafe(self._hold(), self.loop)
        if self._ready.wait(self.timeout_s) and self.tools:
            return self
        failure = self._held.exception(timeout=0) if self._held.done() else "no answer in time"
        self.__exit__()
        raise HarnessError(f"the MCP client could not load the tools of {self.url}: {failure}")

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        else:
            self._held.cancel()  # still connecting
        if self._held is not None:
            try:
                self._held.result(timeout=10)
            except Exception:  # noqa: BLE001 - closing a session that already failed
                pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


def _synchronous(client: McpClientThread, tool: BaseTool) -> BaseTool:
    """The adapter tool as a synchronous tool returning the server's text (errors too, as in-process)."""

    def call(**arguments: Any) -> str:
        request = {"name": tool.name, "args": arguments, "id": "mcp", "type": "tool_call"}
        try:
            reply = client.run(tool.ainvoke(request))
        except McpError as exc:
            if exc.error.code == HARNESS_ERROR:  # stop the run, as the in-process tool would
                raise HarnessError(exc.error.message) from None
            raise
        return message_text(getattr(reply, "content", reply))

    return StructuredTool(name=tool.name, description=tool.description, args_schema=tool.args_schema, func=call)


@contextmanager
def mcp_tools(ctx: ToolContext, *, shell: bool = False) -> Iterator[list[BaseTool]]:
    """ctx's agent tools served over MCP on loopback and loaded back through langchain-mcp-adapters."""
    token = secrets.token_urlsafe(24)
    with HttpServer(http_app(LocalTools(ctx, shell=shell), token)) as http, McpClientThread(http.url, token) as client:
        yield [_synchronous(client, t) for t in client.tools]
