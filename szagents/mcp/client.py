"""Client side: an initialized MCP ClientSession over streamable HTTP, with an optional bearer token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import mcp.types as types
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from szagents import __version__

__all__ = ["TOOL_TIMEOUT_S", "http_session"]

TOOL_TIMEOUT_S = 3600.0  # a benchmark or profile may take minutes: wait for an answer this long


@asynccontextmanager
async def http_session(url: str, token: str | None = None, *, name: str = "szagents",
                       version: str = __version__) -> AsyncIterator[ClientSession]:
    """A session to url introduced as name/version, initialized; closed (and the HTTP session ended) on exit."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    timeout = httpx.Timeout(30.0, read=TOOL_TIMEOUT_S)
    async with httpx.AsyncClient(headers=headers, timeout=timeout) as http:
        async with streamable_http_client(url, http_client=http) as (read, write, _):
            info = types.Implementation(name=name, version=version)
            async with ClientSession(read, write, client_info=info) as session:
                await session.initialize()
                yield session
