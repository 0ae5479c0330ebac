"""A scripted MCP agent: a real MCP client (the SDK's ClientSession) that plays a crude, deterministic agent.

It reads the brief and the workspace, writes the given files, validates, submits, and can spend
more calls to exercise budgets. It stands in for Codex CLI, Gemini CLI or Claude Code in tests and
demos (`szagents run --agent external --command 'python -m szagents.mcp.agent --write ...'`).

    python -m szagents.mcp.agent [--url URL] [--write NAME=PATH]... [--action TEXT] [--extra-calls N]

--url and the token default to $SZAGENTS_MCP_URL and $SZAGENTS_MCP_TOKEN (set by the runner); without a
URL it starts or reaches the server named in $SZAGENTS_MCP_CONFIG (an `mcpServers` JSON), stdio included.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path

import mcp.types as types
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import McpError

from szagents import __version__
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


async def play(session: ClientSession, writes: list[tuple[str, str]], action: str, extra_calls: int,
               linger_s: float = 0.0) -> None:
    """The script: look around, write the files, validate, submit, spend extra_calls list_files calls, linger."""
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
    await asyncio.sleep(linger_s)  # a hung agent, for tests of the runner's wall-time stop


async def _connect(args: argparse.Namespace) -> None:
    """Over HTTP to --url, or to the first server of the --config file (an `mcpServers` JSON), as a real client would."""
    if args.url:
        async with http_session(args.url, os.environ.get("SZAGENTS_MCP_TOKEN"), name=AGENT_NAME) as session:
            return await play(session, args.write, args.action, args.extra_calls, args.linger)
    entry = next(iter(json.loads(Path(args.config).read_text())["mcpServers"].values()))
    if "url" in entry:
        token = entry.get("headers", {}).get("Authorization", "").removeprefix("Bearer ") or None
        async with http_session(entry["url"], token, name=AGENT_NAME) as session:
            return await play(session, args.write, args.action, args.extra_calls, args.linger)
    server = StdioServerParameters(command=entry["command"], args=entry.get("args", []))
    async with stdio_client(server) as (read, write):
        info = types.Implementation(name=AGENT_NAME, version=__version__)
        async with ClientSession(read, write, client_info=info) as session:
            await session.initialize()
            await play(session, args.write, args.action, args.extra_calls, args.linger)


def _pair(text: str) -> tuple[str, str]:
    name, sep, path = text.partition("=")
    if not sep or not name or not Path(path).is_file():
        raise argparse.ArgumentTypeError(f"--write {text!r}: use NAME=PATH with an existing file PATH")
    return name, path


def main(argv: list[str] | None = None) -> int:
    """Play the script against the server; 0 when it ran through or the run told it to stop."""
    parser = argparse.ArgumentParser(prog="python -m szagents.mcp.agent", description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("SZAGENTS_MCP_URL"), help="MCP endpoint (default $SZAGENTS_MCP_URL)")
    parser.add_argument("--write", type=_pair, action="append", default=[], metavar="NAME=PATH",
                        help="write the file PATH into the workspace as NAME (repeatable)")
    parser.add_argument("--action", default="scripted agent: write the given files", help="the submit summary")
    parser.add_argument("--extra-calls", type=int, default=0, help="list_files calls after the submit")
    parser.add_argument("--linger", type=float, default=0.0, help="seconds to keep the session open at the end")
    parser.add_argument("--config", default=os.environ.get("SZAGENTS_MCP_CONFIG"),
                        help="an mcpServers JSON naming the server, used without --url (default $SZAGENTS_MCP_CONFIG)")
    args = parser.parse_args(argv)
    if not args.url and not args.config:
        parser.error("no server: pass --url or --config (or set SZAGENTS_MCP_URL or SZAGENTS_MCP_CONFIG)")
    try:
        asyncio.run(_connect(args))
    except* McpError as group:  # the run is over (budget, plateau): a well-behaved agent stops here
        print(f"stopped by the server: {group.exceptions[0].error.message}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
