"""message_to_record / record_to_message: the llm_call response dict round-trips an AIMessage exactly."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import AIMessage

from szagents.models import ModelConfigError, message_to_record, record_to_message

MESSAGES = [
    AIMessage("plain text", response_metadata={"model_name": "gpt-4o-mini", "model_provider": "openai"},
              usage_metadata={"input_tokens": 3, "output_tokens": 2, "total_tokens": 5}),
    AIMessage("", tool_calls=[{"name": "write_file", "args": {"path": "k.cu", "content": "x\n"}, "id": "c1"},
                              {"name": "compile", "args": {}, "id": None}],
              usage_metadata={"input_tokens": 10, "output_tokens": 4, "total_tokens": 14,
                              "input_token_details": {"cache_read": 8},
                              "output_token_details": {"reasoning": 2}},
              response_metadata={"model_name": "gemini-2.5-pro", "model_provider": "google_genai"}),
    AIMessage([{"type": "reasoning", "id": "rs_1", "summary": []},
               {"type": "text", "text": "hi", "annotations": [], "id": "msg_1"},
               {"type": "function_call", "call_id": "call_9", "name": "read_file", "arguments": "{}",
                "id": "fc_1", "status": "completed"}],
              tool_calls=[{"name": "read_file", "args": {}, "id": "call_9"}],
              response_metadata={"model_name": "gpt-5.1-codex"}),
    AIMessage("bad args", invalid_tool_calls=[{"name": "edit", "args": "{oops", "id": "c2", "error": "bad json",
                                               "type": "invalid_tool_call"}]),
]


@pytest.mark.parametrize("message", MESSAGES, ids=["text", "tool_calls", "responses_blocks", "invalid"])
def test_record_round_trip_is_exact(message):
    """Content, tool calls, invalid tool calls, usage and model name survive record -> JSON -> message."""
    record = json.loads(json.dumps(message_to_record(message)))
    back = record_to_message(record)
    assert back.content == message.content
    assert back.tool_calls == message.tool_calls
    assert back.invalid_tool_calls == message.invalid_tool_calls
    assert back.usage_metadata == message.usage_metadata
    assert back.response_metadata.get("model_name", "") == message.response_metadata.get("model_name", "")
    assert message_to_record(back) == record


def test_record_shape():
    """A record has content, tool_calls (name/args/id), usage ({} for none), model_name; extras only if set."""
    record = message_to_record(MESSAGES[2])
    assert set(record) == {"content", "tool_calls", "usage", "model_name"}
    assert record["tool_calls"] == [{"name": "read_file", "args": {}, "id": "call_9"}] and record["usage"] == {}
    assert set(message_to_record(MESSAGES[3])) == {"content", "tool_calls", "usage", "model_name",
                                                    "invalid_tool_calls"}


def test_record_does_not_alias_the_message():
    """Changing a record afterwards leaves the message it came from unchanged."""
    record = message_to_record(MESSAGES[1])
    record["tool_calls"][0]["args"]["path"] = "changed"
    assert MESSAGES[1].tool_calls[0]["args"]["path"] == "k.cu"


def test_malformed_record_names_missing_keys():
    """A record without content or tool_calls raises ModelConfigError listing what is missing."""
    with pytest.raises(ModelConfigError, match=r"lacks \['tool_calls'\]"):
        record_to_message({"content": "x"})
