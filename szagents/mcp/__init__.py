"""szagents' agent tools over MCP: the server (stdio / streamable HTTP) over a ToolHost, a client session,
the bridge that hands a LangGraph team its tools through that server, and a scripted MCP agent.

Runs whose agent is an outside MCP client (recorded MCP runs, outside-agent runners) build on this
and on szagents.run: they are `szagents.external`.
"""

from szagents.mcp.bridge import McpClientThread, mcp_tools
from szagents.mcp.client import http_session
from szagents.mcp.host import Caller, LocalTools, RunOver, ToolAnswer, ToolHost, ToolSpec
from szagents.mcp.server import HARNESS_ERROR, RUN_OVER, HttpServer, build_server, http_app, is_loopback, serve_stdio

__all__ = [
    "Caller", "LocalTools", "RunOver", "ToolAnswer", "ToolHost", "ToolSpec",
    "RUN_OVER", "HARNESS_ERROR", "HttpServer", "build_server", "http_app", "is_loopback", "serve_stdio",
    "http_session", "McpClientThread", "mcp_tools",
]
