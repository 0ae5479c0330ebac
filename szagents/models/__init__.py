"""Chat models from string specs: `openai:<model>`, `google_genai:<model>`, `scripted:<name>`, `replay:<run>`.

`make_model(spec, **options)` resolves a spec lazily; records.py defines the `response` dict of
llm_call events, which replay turns back into the same AIMessages.
"""

from typing import TYPE_CHECKING

from szagents.lazy import exports

if TYPE_CHECKING:
    from szagents.models.providers import needs_responses_api
    from szagents.models.records import message_to_record, record_to_message
    from szagents.models.registry import ENTRY_POINT_GROUP, ModelConfigError, known_providers, make_model, parse_spec
    from szagents.models.replay import ReplayChatModel, ReplayExhaustedError
    from szagents.models.scripted import Script, ScriptedChatModel, ScriptError, load_script

__getattr__ = exports(__name__, {  # loaded on first use (szagents/lazy.py): models.ratelimit alone needs no chat model
    "szagents.models.providers": ("needs_responses_api",),
    "szagents.models.records": ("message_to_record", "record_to_message"),
    "szagents.models.registry": ("ENTRY_POINT_GROUP", "ModelConfigError", "known_providers", "make_model", "parse_spec"),
    "szagents.models.replay": ("ReplayChatModel", "ReplayExhaustedError"),
    "szagents.models.scripted": ("Script", "ScriptError", "ScriptedChatModel", "load_script"),
})

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
