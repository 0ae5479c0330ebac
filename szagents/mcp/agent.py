"""A scripted MCP agent: a real MCP client (the SDK's ClientSession) that plays a crude, deterministic agent.

It reads the brief and the workspace, writes the given files, validates, submits, and can spend
more calls to exercise budgets. It stands in for Codex CLI, Gemini CLI or Claude Code in tests and
demos (`szagents run --agent external --command 'python -m szagents.mcp.agent --write ...'`).

    python -m szagents.mcp.agent [--url URL] [--write NAME=PATH]... [--action TEXT] [--extra-calls N]

--url and the token default to $SZAGENTS_MCP_URL and $SZAGENTS_MCP_TOKEN (set by the runner).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

import mcp.types as types
from mcp import ClientSession
from mcp.shared.exceptions import McpError

from szagents.mcp.client import http_session

__all__ = ["AGENT_NAME", "play", "main"]

AGENT_NAME = "szagents-scripted-agent"


def _text(result: types.CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, types.TextContent))


async def _call(session: ClientSession, name: str, args: dict[str, object]) -> str:
    """One tool call, logged as a line: the tool, error or not, the first line of the answer."""
    result = await session.call_tool(name, args)
    text = _text(result)
    print(f"{name}: {'ERROR ' if result.isError else ''}{(text.splitlines() or [''])[0]}", flush=True)
    return text


async def play(session: ClientSession, writes: list[tuple[str, str]], action: str, extra_calls: int) -> None:
    """The script: look around, write the files, validate, submit, then spend extra_calls list_files calls."""
    tools = await session.list_tools()
    brief = await session.get_prompt("brief")
    resources = await session.list_resources()
    print(f"tools: {', '.join(t.name for t in tools.tools)}; brief: {len(brief.messages[0].content.text)} characters; "
          f"resources: {len(resources.resources)}", flush=True)
    await _call(session, "list_files", {})
    for name, path in writes:
        await _call(session, "write_file", {"path": name, "content": Path(path).read_text()})
    await _call(session, "validate", {})
    await _call(session, "submit", {"action": action})
    for _ in range(extra_calls):
        await _call(session, "list_files", {})


async def _over_http(url: str, token: str | None, args: argparse.Namespace) -> None:
    async with http_session(url, token, name=AGENT_NAME) as session:
        await play(session, args.write, args.action, args.extra_calls)


def _pair(text: str) -> tuple[str, str]:
    name, sep, path = text.partition("=")
    if not sep or not name or not Path(path).is_file():
        raise argparse.ArgumentTypeError(f"--write {text!r}: use NAME=PATH with an existing file PATH")
    return name, path


def main(argv: list[str] | None = None) -> int:
    """Play the script against the server at --url; 0 when it ran through or the run told it to stop."""
    parser = argparse.ArgumentParser(prog="python -m szagents.mcp.agent", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("SZAGENTS_MCP_URL"), help="MCP endpoint (default $SZAGENTS_MCP_URL)")
    parser.add_argument("--write", type=_pair, action="append", default=[], metavar="NAME=PATH",
                        help="write the file PATH into the workspace as NAME (repeatable)")
    parser.add_argument("--action", default="scripted agent: write the given files", help="the submit summary")
    parser.add_argument("--extra-calls", type=int, default=0, help="list_files calls after the submit")
    args = parser.parse_args(argv)
    if not args.url:
        parser.error("no server: pass --url or set SZAGENTS_MCP_URL")
    try:
        asyncio.run(_over_http(args.url, os.environ.get("SZAGENTS_MCP_TOKEN"), args))
    except* McpError as group:  # the run is over (budget, plateau): a well-behaved agent stops here
        print(f"stopped by the server: {group.exceptions[0].error.message}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
