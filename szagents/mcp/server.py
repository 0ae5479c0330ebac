"""An MCP server (the official SDK's low-level Server) over a ToolHost, on stdio or streamable HTTP.

Tools keep the in-process names, descriptions and JSON schemas; the brief is the prompt "brief";
workspace files are resources `szagents://workspace/<path>`. Tool work runs in a worker thread so
the server keeps answering (pings, other sessions) while a compile or benchmark runs.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import logging
import threading
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote, urlparse

import anyio
import mcp.types as types
import uvicorn
from mcp.server.auth.middleware.bearer_auth import BearerAuthBackend, RequireAuthMiddleware
from mcp.server.auth.provider import AccessToken
from mcp.server.fastmcp.server import StreamableHTTPASGIApp
from mcp.server.lowlevel import Server
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.stdio import stdio_server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared.exceptions import McpError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.routing import Route

from szagents import __version__
from szagents.errors import HarnessError, SzAgentsError
from szagents.mcp.host import Caller, RunOver, ToolHost
from szagents.mcp.limits import TOO_LARGE, BodyLimit, oversize_message, request_limit

__all__ = ["RUN_OVER", "HARNESS_ERROR", "TOO_LARGE", "RESOURCE_PREFIX", "build_server", "serve_stdio", "http_app", "HttpServer", "is_loopback"]

RUN_OVER = -32001  # JSON-RPC error code of a call refused because the run is over (budget, plateau, ended)
HARNESS_ERROR = -32002  # the harness itself failed (not the kernel): a human must look
# TOO_LARGE = -32003 (mcp/limits.py): a request larger than the workspace's per-file cap allows
RESOURCE_PREFIX = "szagents://workspace/"
BRIEF_PROMPT = "brief"


def _caller(server: Server) -> Caller:
    """The client that sent the current request (name and version from its initialize handshake)."""
    ctx = server.request_context
    params = ctx.session.client_params
    info = params.clientInfo if params is not None else None
    return Caller(name=info.name if info else "unknown", version=info.version if info else "",
                  request_id=str(ctx.request_id))


async def _tell(server: Server, text: str) -> None:
    """text to the client of the current request: a log message, and a progress message when it asked for progress.

    Not tied to the request: HTTP answers in plain JSON stream nothing during a call, so the notices travel on
    the session's standing stream (the GET stream; on stdio, the one stream).
    """
    ctx = server.request_context
    await ctx.session.send_log_message(level="notice", data=text, logger="szagents")
    token = ctx.meta.progressToken if ctx.meta is not None else None
    if token is not None:
        await ctx.session.send_progress_notification(token, 0.0, message=text)


def _tool_handlers(server: Server, host: ToolHost) -> None:
    @server.set_logging_level()
    async def set_level(level: types.LoggingLevel) -> None:
        """Accepted (and declares the logging capability): szagents sends only a few notices."""

    @server.list_tools()
    async def list_tools() -> list[types.Tool]:
        return [types.Tool(name=s.name, description=s.description, inputSchema=s.input_schema) for s in host.specs()]

    async def call_tool(request: types.CallToolRequest) -> types.ServerResult:
        size = len(request.model_dump_json(by_alias=True, exclude_none=True).encode())
        if size > request_limit(host.max_file_bytes):  # over HTTP, BodyLimit answers before; stdio reads any line
            raise McpError(types.ErrorData(code=TOO_LARGE, message=oversize_message(size, host.max_file_bytes)))
        caller = _caller(server)
        args = request.params.arguments or {}
        notice = host.notice()
        if notice:  # e.g. the baseline is measured first: say so before the client waits on it
            await _tell(server, notice)
        try:
            answer = await anyio.to_thread.run_sync(host.call, request.params.name, args, caller)
        except RunOver as exc:  # an MCP error response, not a tool result: the run takes no more calls
            raise McpError(types.ErrorData(code=RUN_OVER, message=str(exc))) from None
        except HarnessError as exc:
            raise McpError(types.ErrorData(code=HARNESS_ERROR, message=f"harness error: {exc}")) from None
        content = [types.TextContent(type="text", text=answer.text)]
        return types.ServerResult(types.CallToolResult(content=content, isError=answer.is_error))

    # Registered directly (not through @server.call_tool) so RunOver reaches the client as an MCP
    # error, and so argument errors come from the tools' own pydantic schemas, worded as in-process.
    server.request_handlers[types.CallToolRequest] = call_tool


def _content_handlers(server: Server, host: ToolHost) -> None:
    @server.list_prompts()
    async def list_prompts() -> list[types.Prompt]:
        return [types.Prompt(name=BRIEF_PROMPT, description="The task brief: the agent's instructions and first message.")]

    @server.get_prompt()
    async def get_prompt(name: str, arguments: dict[str, str] | None) -> types.GetPromptResult:
        if name != BRIEF_PROMPT:
            raise McpError(types.ErrorData(code=types.INVALID_PARAMS, message=f"unknown prompt {name!r}; use {BRIEF_PROMPT!r}"))
        text = types.TextContent(type="text", text=host.brief())
        return types.GetPromptResult(description="task brief", messages=[types.PromptMessage(role="user", content=text)])

    @server.list_resources()
    async def list_resources() -> list[types.Resource]:
        return [types.Resource(uri=RESOURCE_PREFIX + rel, name=rel, mimeType="text/plain")
                for rel in host.workspace.list_files()]

    @server.read_resource()
    async def read_resource(uri: Any) -> list[ReadResourceContents]:
        text = str(uri)
        if not text.startswith(RESOURCE_PREFIX):
            raise McpError(types.ErrorData(code=types.INVALID_PARAMS, message=f"unknown resource {text!r}; "
                                           f"workspace files are {RESOURCE_PREFIX}<path>"))
        rel = unquote(urlparse(text).path.lstrip("/"))
        try:
            return [ReadResourceContents(content=host.workspace.read_text(rel), mime_type="text/plain")]
        except (SzAgentsError, OSError) as exc:
            raise McpError(types.ErrorData(code=types.INVALID_PARAMS, message=f"error: {exc}")) from None


def build_server(host: ToolHost, *, instructions: str | None = None) -> Server:
    """A low-level MCP server exposing host's tools, its brief as a prompt and its files as resources."""
    server: Server = Server("szagents", version=__version__, instructions=instructions)
    _tool_handlers(server, host)
    _content_handlers(server, host)
    return server


async def serve_stdio(server: Server) -> None:
    """Serve one client on stdin/stdout until it closes the stream."""
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


class _StaticToken:
    """TokenVerifier for one shared bearer token (compared in constant time)."""

    def __init__(self, token: str) -> None:
        self.token = token

    async def verify_token(self, token: str) -> AccessToken | None:
        if hmac.compare_digest(token.encode(), self.token.encode()):
            return AccessToken(token=token, client_id="szagents-client", scopes=[])
        return None


def http_app(host: ToolHost, token: str | None = None, *, instructions: str | None = None) -> Starlette:
    """Starlette app serving host (build_server) over streamable HTTP at /mcp; requests need the token when set.

    Request bodies are limited from the workspace's per-file cap (mcp/limits.py): a larger one gets an MCP
    error naming the cap, and the client's session goes on.
    """
    # Plain JSON answers (allowed by the transport; every client must accept them): we stream nothing
    # during a call, and an SSE stream per call costs several ms more per call on loopback.
    manager = StreamableHTTPSessionManager(app=build_server(host, instructions=instructions), json_response=True,
                                           max_request_body_size=request_limit(host.max_file_bytes))
    endpoint = BodyLimit(StreamableHTTPASGIApp(manager), host.max_file_bytes)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with manager.run():
            yield

    if token is None:
        return Starlette(routes=[Route("/mcp", endpoint=endpoint)], lifespan=lifespan)
    guarded = RequireAuthMiddleware(endpoint, required_scopes=[])
    return Starlette(routes=[Route("/mcp", endpoint=guarded)], lifespan=lifespan,
                     middleware=[Middleware(AuthenticationMiddleware, backend=BearerAuthBackend(_StaticToken(token)))])


def is_loopback(host: str) -> bool:
    """Whether host names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _QuietClosedStream(logging.Filter):
    """Drop the SDK's error log for a client that closed its GET stream at session end (benign, no action)."""

    def filter(self, record: logging.LogRecord) -> bool:
        closed = record.exc_info is not None and isinstance(record.exc_info[1], anyio.ClosedResourceError)
        return not (closed and record.getMessage() == "Error in standalone SSE writer")


_HTTP_LOGGER = logging.getLogger("mcp.server.streamable_http")


class HttpServer:
    """Serve an app with uvicorn on host:port (0 = a free port) in a background thread."""

    def __init__(self, app: Starlette, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on", timeout_graceful_shutdown=2)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="szagents-mcp-http", daemon=True)

    @property
    def url(self) -> str:
        """The MCP endpoint URL."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/mcp"

    def start(self, timeout_s: float = 20.0) -> HttpServer:
        """Start serving; return once uvicorn accepts connections."""
        if not any(isinstance(f, _QuietClosedStream) for f in _HTTP_LOGGER.filters):
            _HTTP_LOGGER.addFilter(_QuietClosedStream())
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self._server.started:
            self.stop()
            raise SzAgentsError(f"the MCP HTTP server did not start on {self.url} (is the port taken? pass another "
                                "--port, or 0 for any free port)")
        self.port = self._server.servers[0].sockets[0].getsockname()[1]  # the port chosen when given 0
        return self

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for its thread."""
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> HttpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
