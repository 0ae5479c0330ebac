"""How large an MCP request may be, derived from the workspace's per-file cap, and how an oversized one is answered.

A request is oversized when its JSON is larger than request_limit(cap): more than the largest call a
workspace file of cap bytes can need (edit_file carries an old and a new text, each up to a file,
and JSON may escape a byte as six). It gets the JSON-RPC error TOO_LARGE naming the cap, on both
transports, and the session goes on: over stdio from the tools/call handler, over HTTP from
BodyLimit, in front of the SDK's transport (whose own limit is set to the same number; its answer
to a larger body, HTTP 413, ends the client's session).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["TOO_LARGE", "request_limit", "oversize_message", "BodyLimit"]

TOO_LARGE = -32003  # JSON-RPC error code of a request larger than request_limit (an implementation-defined code)
_SLACK = 64 * 1024  # the JSON-RPC envelope, tool name, path and other small arguments
_EDGE = 4096  # bytes of an oversized body kept at each end to find its id (clients put it first or last)
_VALUE = r'("(?:[^"\\]|\\.)*"|-?\d+)'
_FIRST = re.compile(r'^\s*\{\s*(?:"(?:jsonrpc|method)"\s*:\s*"(?:[^"\\]|\\.)*"\s*,\s*)*"id"\s*:\s*' + _VALUE)
_LAST = re.compile(r'"id"\s*:\s*' + _VALUE + r'\s*(?:,\s*"(?:jsonrpc|method)"\s*:\s*"(?:[^"\\]|\\.)*"\s*)*\}\s*$')

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def request_limit(max_file_bytes: int) -> int:
    """The largest request (bytes of JSON) a call on a workspace with this per-file cap can need."""
    return 12 * max_file_bytes + _SLACK


def oversize_message(size: int, max_file_bytes: int) -> str:
    """The error text of a request of size bytes: the limit, the per-file cap it comes from, what to do."""
    return (f"request refused: {size:,} bytes is over this server's limit of {request_limit(max_file_bytes):,} bytes "
            f"per request. A workspace file is at most {max_file_bytes:,} bytes (the per-file cap): write source code, "
            "not data, and split a long file into several writes or edits. The session goes on.")


def _request_id(head: bytes, tail: bytes) -> int | str | None:
    """The id of a JSON-RPC request from the first and last bytes of its body (None when not found there)."""
    for pattern, text in ((_LAST, tail), (_FIRST, head)):
        found = pattern.search(text.decode("utf-8", errors="replace"))
        if found:
            return json.loads(found.group(1))
    return None


class BodyLimit:
    """ASGI middleware: a POST body over limit is drained (keeping its ends) and answered with a JSON-RPC error."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], max_file_bytes: int) -> None:
        self.app, self.max_file_bytes = app, max_file_bytes
        self.limit = request_limit(max_file_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if scope["type"] != "http" or scope.get("method") != "POST" or (declared.isdigit() and int(declared) <= self.limit):
            await self.app(scope, receive, send)
            return
        body, head, tail, size, more = bytearray(), b"", b"", 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk, more = message.get("body", b""), message.get("more_body", False)
            size += len(chunk)
            if size <= self.limit:
                body += chunk
            else:
                head = head or bytes(body[:_EDGE]) or chunk[:_EDGE]
                tail = (tail + chunk)[-_EDGE:]
                body.clear()
        if size <= self.limit:  # no or a wrong content-length, but within the limit: hand the body on
            await self.app(scope, _replay(bytes(body), receive), send)
            return
        await _refuse(send, _request_id(head, tail), oversize_message(size, self.max_file_bytes))


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive callable that gives the body read already, then what the client sends next (its disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(send: Send, request_id: int | str | None, text: str) -> None:
    """Answer with the JSON-RPC error (HTTP 200, so the client's session lives on); 413 when the id is unknown."""
    if request_id is None:
        status, payload, kind = 413, text.encode(), b"text/plain; charset=utf-8"
    else:
        error = {"jsonrpc": "2.0", "id": request_id, "error": {"code": TOO_LARGE, "message": text}}
        status, payload, kind = 200, json.dumps(error).encode(), b"application/json"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", kind), (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
