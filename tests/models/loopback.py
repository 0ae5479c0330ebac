"""A loopback OpenAI-compatible HTTP server: /v1/chat/completions and /v1/responses, scripted replies.

Queued entries are (status, body, headers) tuples or Fault objects (hung, slow, dropped
connection, malformed body). Pre-flight requests (szagents' one-line check before a run) are
answered from `preflight` (default: a plain reply) and never consume `queued`.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOOL_ARGS = {"path": "kernel.cu"}


def chat_completion_body(model: str, tool_call: bool = True) -> dict[str, Any]:
    """A realistic Chat Completions reply with usage, holding one tool call unless tool_call=False."""
    return {
        "id": "chatcmpl-loopback1", "object": "chat.completion", "created": 1_700_000_000,
        "model": model, "system_fingerprint": "fp_loopback", "service_tier": "default",
        "choices": [{
            "index": 0, "logprobs": None, "finish_reason": "tool_calls" if tool_call else "stop",
            "message": {
                "role": "assistant", "content": "Reading the kernel first.", "refusal": None,
                "tool_calls": [{"id": "call_cc1", "type": "function", "function": {
                    "name": "read_file", "arguments": json.dumps(TOOL_ARGS)}}] if tool_call else None,
            },
        }],
        "usage": {"prompt_tokens": 42, "completion_tokens": 7, "total_tokens": 49,
                  "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                  "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0}},
    }


def responses_body(model: str, tool_call: bool = True) -> dict[str, Any]:
    """A realistic Responses API reply: reasoning, a message and (unless tool_call=False) a function call."""
    call = [{"type": "function_call", "id": "fc_loopback1", "call_id": "call_rs1", "name": "read_file",
             "arguments": json.dumps(TOOL_ARGS), "status": "completed"}]
    return {
        "id": "resp_loopback1", "object": "response", "created_at": 1_700_000_000, "status": "completed",
        "model": model, "error": None, "incomplete_details": None, "instructions": None,
        "max_output_tokens": None, "metadata": {}, "parallel_tool_calls": True, "previous_response_id": None,
        "reasoning": {"effort": "medium", "summary": None}, "store": True, "temperature": 1.0,
        "text": {"format": {"type": "text"}}, "tool_choice": "auto", "tools": [], "top_p": 1.0,
        "truncation": "disabled", "user": None,
        "output": [
            {"type": "reasoning", "id": "rs_loopback1", "summary": []},
            {"type": "message", "id": "msg_loopback1", "role": "assistant", "status": "completed",
             "content": [{"type": "output_text", "text": "Reading the kernel first.", "annotations": []}]},
            *(call if tool_call else []),
        ],
        "usage": {"input_tokens": 50, "output_tokens": 9, "total_tokens": 59,
                  "input_tokens_details": {"cached_tokens": 0},
                  "output_tokens_details": {"reasoning_tokens": 3}},
    }


PREFLIGHT_PROMPT = "Reply with the single word OK."


@dataclass(frozen=True)
class Fault:
    """A misbehaving answer: hang (until the server stops or delay_s), slow (delay_s, then body),
    drop (close the connection without answering), malformed (200 with a body that is not JSON)."""

    kind: str
    delay_s: float = 0.0
    status: int = 200
    body: dict[str, Any] | None = None


@dataclass
class Exchange:
    """One request the server received."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    received: float = field(default_factory=time.time)  # when the server read it (epoch seconds)


@dataclass
class LoopbackOpenAI:
    """The server's state: requests received and replies queued ahead of the default ones."""

    url: str = ""
    requests: list[Exchange] = field(default_factory=list)
    queued: deque[Any] = field(default_factory=deque)
    preflight: deque[Any] = field(default_factory=deque)
    stopping: threading.Event = field(default_factory=threading.Event)
    chat_only: bool = False  # like many local servers: no /v1/responses route

    def reply_for(self, path: str, body: dict[str, Any]) -> Any:
        """Next queued reply (pre-flight requests: from `preflight`), else the realistic default for path."""
        queue = self.preflight if PREFLIGHT_PROMPT in json.dumps(body) else self.queued
        if self.chat_only and path.endswith("/responses"):
            return 404, {"error": {"message": f"no route {path}", "type": "invalid_request_error"}}, {}
        if queue:
            return queue.popleft()
        model = str(body.get("model", ""))
        if path.endswith("/chat/completions"):
            return 200, chat_completion_body(model), {}
        if path.endswith("/responses"):
            return 200, responses_body(model), {}
        return 404, {"error": {"message": f"no route {path}", "type": "invalid_request_error"}}, {}

    def agent_requests(self) -> list[Exchange]:
        """The requests that were not pre-flight checks."""
        return [r for r in self.requests if PREFLIGHT_PROMPT not in json.dumps(r.body)]


def _handler(state: LoopbackOpenAI) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to state."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server naming)
            length = int(self.headers.get("content-length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            state.requests.append(Exchange(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            answer = state.reply_for(self.path, body)
            if isinstance(answer, Fault):
                self._fault(answer)
                return
            self._send(*answer)

        def _fault(self, fault: Fault) -> None:
            if fault.kind == "hang":
                state.stopping.wait(fault.delay_s or None)
                self.close_connection = True
                return
            if fault.kind == "drop":
                self.close_connection = True
                self.connection.shutdown(2)
                return
            if fault.kind == "slow":
                time.sleep(fault.delay_s)
                self._send(fault.status, fault.body or {}, {})
                return
            data = b'{"id": "chatcmpl-broken", "choices": [{"message": '  # malformed: cut-off JSON
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _send(self, status: int, reply: dict[str, Any], headers: dict[str, str]) -> None:
            if "id" in reply:  # real servers never repeat a response id; LangGraph keys messages by it
                reply = {**reply, "id": f"{reply['id']}-{len(state.requests)}"}
            data = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serve_loopback() -> Iterator[LoopbackOpenAI]:
    """A LoopbackOpenAI served on 127.0.0.1 (free port) in a thread for the block; its url ends in /v1."""
    state = LoopbackOpenAI()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
