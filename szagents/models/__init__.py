"""Chat models from string specs: `openai:<model>`, `google_genai:<model>`, `scripted:<name>`, `replay:<run>`.

`make_model(spec, **options)` resolves a spec lazily; records.py defines the `response` dict of
llm_call events, which replay turns back into the same AIMessages.
"""

from szagents.models.records import message_to_record, record_to_message
from szagents.models.registry import (
    ENTRY_POINT_GROUP,
    ModelConfigError,
    known_providers,
    make_model,
    parse_spec,
)
from szagents.models.replay import ReplayChatModel, ReplayExhaustedError
from szagents.models.scripted import Script, ScriptedChatModel, ScriptError, load_script
from szagents.models.providers import needs_responses_api

__all__ = [
    "ENTRY_POINT_GROUP",
    "ModelConfigError",
    "ReplayChatModel",
    "ReplayExhaustedError",
    "Script",
    "ScriptError",
    "ScriptedChatModel",
    "known_providers",
    "load_script",
    "make_model",
    "message_to_record",
    "needs_responses_api",
    "parse_spec",
    "record_to_message",
]
