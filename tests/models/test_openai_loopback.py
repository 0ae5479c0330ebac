"""langchain-openai, built by make_model, against a loopback OpenAI-compatible server (no real API)."""

from __future__ import annotations

import time

import openai
import pytest
from langchain_core.messages import AIMessage, HumanMessage

from szagents.models import make_model, message_to_record, record_to_message

from .agent_loop import TOOLS, agent_loop
from .loopback import TOOL_ARGS, chat_completion_body, responses_body, serve_loopback

ERROR = {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}


def _tool_names(body: dict) -> list[str]:
    """Tool names in a request body, in either API's tool format."""
    return [t.get("function", t)["name"] for t in body.get("tools", [])]


def test_chat_completions_model_sends_tools_and_parses_tool_call_and_usage():
    """openai:gpt-4o-mini with base_url posts to /v1/chat/completions and parses the tool call and usage."""
    with serve_loopback() as server:
        reply = make_model("openai:gpt-4o-mini", base_url=server.url).bind_tools(TOOLS).invoke("look")
    (request,) = server.requests
    assert request.path == "/v1/chat/completions" and request.body["model"] == "gpt-4o-mini"
    assert _tool_names(request.body) == ["list_files", "read_file", "write_file"]
    assert request.body["tools"][1]["function"]["parameters"]["required"] == ["path"]
    assert request.headers["authorization"] == "Bearer not-needed"
    assert reply.tool_calls == [{"name": "read_file", "args": TOOL_ARGS, "id": "call_cc1", "type": "tool_call"}]
    assert (reply.usage_metadata["input_tokens"], reply.usage_metadata["output_tokens"]) == (42, 7)
    assert reply.response_metadata["model_name"] == "gpt-4o-mini"


def test_codex_model_uses_responses_api_and_parses_function_call_and_usage():
    """openai:gpt-5.1-codex with base_url posts to /v1/responses and parses the function call and usage."""
    with serve_loopback() as server:
        reply = make_model("openai:gpt-5.1-codex", base_url=server.url).bind_tools(TOOLS).invoke("look")
    (request,) = server.requests
    assert request.path == "/v1/responses" and request.body["model"] == "gpt-5.1-codex"
    assert _tool_names(request.body) == ["list_files", "read_file", "write_file"]
    assert reply.tool_calls == [{"name": "read_file", "args": TOOL_ARGS, "id": "call_rs1", "type": "tool_call"}]
    assert reply.usage_metadata["input_tokens"] == 50 and reply.usage_metadata["output_tokens"] == 9
    assert reply.usage_metadata["output_token_details"]["reasoning"] == 3


def test_responses_override_forces_chat_completions():
    """responses=False sends even a codex-named model to /v1/chat/completions (for local servers)."""
    with serve_loopback() as server:
        make_model("openai:codex-7b", base_url=server.url, responses=False).invoke("hi")
    assert [r.path for r in server.requests] == ["/v1/chat/completions"]


@pytest.mark.parametrize("spec,final", [("openai:gpt-4o-mini", chat_completion_body),
                                        ("openai:gpt-5.1-codex", responses_body)])
def test_tool_loop_and_rebuilt_history_send_the_same_request(spec, final):
    """A model -> tool -> model loop runs over HTTP, and a history rebuilt from records sends the same body."""
    with serve_loopback() as server:
        model = make_model(spec, base_url=server.url)
        server.queued.append((200, final(spec.partition(":")[2], tool_call=True), {}))
        server.queued.append((200, final(spec.partition(":")[2], tool_call=False), {}))
        result = agent_loop(model).invoke({"messages": [HumanMessage("look")]})
        history = result["messages"][:-1]
        rebuilt = [record_to_message(message_to_record(m)) if isinstance(m, AIMessage) else m for m in history]
        model.bind_tools(TOOLS).invoke(rebuilt)
    second, again = server.requests[1].body, server.requests[2].body
    assert "// contents of kernel.cu" in str(second) and again == second
    assert not result["messages"][-1].tool_calls


@pytest.mark.parametrize("status", [429, 503])
def test_rate_limit_or_server_error_is_retried(status):
    """A 429 or 503 answer (with retry-after-ms) is retried by the client and the second answer is used."""
    with serve_loopback() as server:
        server.queued.append((status, ERROR, {"retry-after-ms": "20"}))
        start = time.perf_counter()
        reply = make_model("openai:gpt-4o-mini", base_url=server.url).invoke("hi")
    assert len(server.requests) == 2 and reply.tool_calls[0]["id"] == "call_cc1"
    assert time.perf_counter() - start < 3


def test_no_retries_surfaces_the_rate_limit():
    """With max_retries=0 a 429 reaches the caller as openai.RateLimitError after one request."""
    with serve_loopback() as server:
        server.queued.append((429, ERROR, {"retry-after-ms": "20"}))
        with pytest.raises(openai.RateLimitError):
            make_model("openai:gpt-4o-mini", base_url=server.url, max_retries=0).invoke("hi")
    assert len(server.requests) == 1
