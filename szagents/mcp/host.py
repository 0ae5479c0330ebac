"""What an MCP server serves: the agent tools of one ToolContext, the brief, the workspace files.

A ToolHost answers tool calls with text and an error flag (an agent mistake is an error *result*,
as in-process). RunOver is raised when the run behind the host no longer takes calls (a budget is
spent, the run has ended); the server turns it into an MCP error response.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool

from szagents.tools.context import ToolContext
from szagents.tools.registry import make_tools, tool_schemas
from szagents.workspace.workspace import Workspace

__all__ = ["Caller", "ToolAnswer", "ToolSpec", "RunOver", "ToolHost", "LocalTools", "message_text"]


@dataclass(frozen=True)
class Caller:
    """Who sent a tool call: the client's name and version from the MCP handshake, and the request id."""

    name: str = "unknown"
    version: str = ""
    request_id: str = ""

    @property
    def agent(self) -> str:
        """name/version, as the trajectory records the agent."""
        return f"{self.name}/{self.version}" if self.version else self.name


@dataclass(frozen=True)
class ToolAnswer:
    """A tool's text for the agent and whether it reports an error (bad arguments, missing file...)."""

    text: str
    is_error: bool = False


@dataclass(frozen=True)
class ToolSpec:
    """A tool as MCP lists it: name, description, JSON schema of the arguments."""

    name: str
    description: str
    input_schema: dict[str, Any]


class RunOver(Exception):
    """The run takes no more tool calls; the message says why and what the agent should do."""


class ToolHost(Protocol):
    """What the MCP server needs from the run it serves."""

    workspace: Workspace
    max_file_bytes: int  # the workspace's per-file cap, which sets the MCP request limit (mcp/limits.py)

    def specs(self) -> list[ToolSpec]: ...

    def call(self, name: str, args: dict[str, Any], caller: Caller) -> ToolAnswer: ...

    def brief(self) -> str: ...

    def notice(self) -> str:
        """What the client should hear before its next call runs (e.g. that a baseline is measured first), or ''."""
        ...


def message_text(content: Any) -> str:
    """The text of a message content: a string, or the text parts of a list of content blocks."""
    if isinstance(content, str):
        return content
    parts = [p if isinstance(p, str) else str(p.get("text", "")) for p in content or [] if isinstance(p, (str, dict))]
    return "\n".join(parts)


class LocalTools:
    """The in-process agent tools of ctx (make_tools), callable one at a time from any thread.

    Records nothing itself: the tools emit their compile/validation/benchmark events to ctx.sink,
    as in-process. Used as-is when a LangGraph run takes its tools through MCP (the graph records
    the tool calls and validates submissions), and wrapped by McpRun for a recorded MCP run.
    """

    def __init__(self, ctx: ToolContext, *, shell: bool = False, brief: Callable[[], str] | None = None) -> None:
        self.ctx, self.shell = ctx, shell
        self.workspace = ctx.workspace
        self.max_file_bytes = ctx.workspace.max_file_bytes
        self.tools: dict[str, BaseTool] = {t.name: t for t in make_tools(ctx, shell=shell)}
        self._brief = brief or (lambda: f"Task {ctx.task.id}: see README.md in the workspace.")
        self._lock = threading.Lock()  # one tool at a time: the tools share one workspace

    def specs(self) -> list[ToolSpec]:
        """Every tool with the description and argument schema the in-process agents see."""
        return [ToolSpec(*spec) for spec in tool_schemas(shell=self.shell)]

    def brief(self) -> str:
        """The task brief (system prompt and first message of the agent)."""
        return self._brief()

    def notice(self) -> str:
        """Nothing: the calls of an in-process run do no work beyond their own."""
        return ""

    def call(self, name: str, args: dict[str, Any], caller: Caller) -> ToolAnswer:
        """Run tool name on args exactly as in-process; an unknown tool is an error answer."""
        tool = self.tools.get(name)
        if tool is None:
            return ToolAnswer(f"error: unknown tool {name!r}; available tools: {', '.join(sorted(self.tools))}", True)
        with self._lock:
            reply = tool.invoke({"name": name, "args": args, "id": caller.request_id or name, "type": "tool_call"})
        if not isinstance(reply, ToolMessage):  # invoked with a tool call, a tool answers with a message
            return ToolAnswer(message_text(reply))
        return ToolAnswer(message_text(reply.content), reply.status == "error")
