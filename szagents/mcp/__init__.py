"""The study's MCP environment: szagents' agent tools as an MCP server, and agents that use it.

This package root exports the transport layer only (it sits below sweep/, which imports the
bridge); the recorded run, the external-agent runner and the scripted agent are
`szagents.mcp.run`, `szagents.mcp.external` and `szagents.mcp.agent`.
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
