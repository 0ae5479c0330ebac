"""The `response` dict of an LlmCall event: an AIMessage as plain JSON data, and back, exactly.

Shape (keys always present unless marked optional):
    {"content": str | list,                    # AIMessage.content, as the provider returned it
     "tool_calls": [{"name": str, "args": dict, "id": str | None}],
     "usage": {"input_tokens": int, "output_tokens": int, "total_tokens": int, ...} or {},
     "model_name": str,                        # response_metadata["model_name"], "" if none
     "model_provider": str,                    # optional: response_metadata["model_provider"]
     "invalid_tool_calls": [{"name", "args", "id", "error"}],   # optional: only when non-empty
     "position": {"script": str, "scripted_step": int, "replay_index": int, "replay_role": str}}
                                               # optional: where a scripted/replayed model stood
`usage` is AIMessage.usage_metadata verbatim (detail dicts included); {} stands for None.
"""

from __future__ import annotations

import copy
from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.messages.tool import invalid_tool_call, tool_call

from szagents.errors import ModelConfigError

__all__ = ["POSITION_KEYS", "message_to_record", "record_to_message"]

POSITION_KEYS = ("script", "scripted_step", "replay_index", "replay_role")
"""response_metadata keys by which scripted and replay models find their place in a conversation;
kept in the record so a response reused on resume leaves the model where it was."""


def message_to_record(message: AIMessage) -> dict[str, Any]:
    """The JSON-ready record of an AIMessage: content, tool calls, usage, model name."""
    record: dict[str, Any] = {
        "content": copy.deepcopy(message.content),
        "tool_calls": [{"name": c["name"], "args": copy.deepcopy(c["args"]), "id": c.get("id")}
                       for c in message.tool_calls],
        "usage": copy.deepcopy(dict(message.usage_metadata or {})),
        "model_name": str(message.response_metadata.get("model_name") or ""),
    }
    provider = message.response_metadata.get("model_provider")
    if provider:
        record["model_provider"] = str(provider)
    position = {k: message.response_metadata[k] for k in POSITION_KEYS if k in message.response_metadata}
    if position:
        record["position"] = copy.deepcopy(position)
    if message.invalid_tool_calls:
        record["invalid_tool_calls"] = [
            {k: c.get(k) for k in ("name", "args", "id", "error")} for c in message.invalid_tool_calls
        ]
    return record


def record_to_message(record: dict[str, Any]) -> AIMessage:
    """Rebuild the AIMessage a record describes; raise ModelConfigError if the record is malformed."""
    missing = [k for k in ("content", "tool_calls") if k not in record]
    if missing:
        raise ModelConfigError(f"llm_call response record lacks {missing}; keys present: {sorted(record)}")
    metadata: dict[str, Any] = {"model_name": record.get("model_name", "")}
    if record.get("model_provider"):
        metadata["model_provider"] = record["model_provider"]
    metadata.update(copy.deepcopy(record.get("position") or {}))
    return AIMessage(
        content=copy.deepcopy(record["content"]),
        tool_calls=[tool_call(name=c["name"], args=copy.deepcopy(c["args"]), id=c.get("id"))
                    for c in record["tool_calls"]],
        invalid_tool_calls=[invalid_tool_call(**c) for c in record.get("invalid_tool_calls", [])],
        usage_metadata=copy.deepcopy(record.get("usage")) or None,
        response_metadata=metadata,
    )
