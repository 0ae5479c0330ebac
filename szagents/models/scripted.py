"""ScriptedChatModel: a deterministic chat model that plays a JSON script of replies and tool calls.

A script is `{"description": str, "steps": [{"content": str, "tool_calls": [{"name", "args"}]}]}`.
A string argument may be computed from a file when the step is emitted:
`{"$file": "kernels/szp/reference.c", "replace": [["old", "new"], ...]}` reads the file (paths
under `kernels/` from `szagents.paths.kernels_dir()`, absolute paths as they are, others relative
to the script's folder) and applies each replacement, which must match exactly once.

Position: by default ("conversation") the step is derived from the request, so a resumed run
continues where it stopped: one past the last step this script emitted (each reply carries
`response_metadata["script"]` and `["scripted_step"]`), else `start_step` plus the number of
unmarked AIMessages in the request. `position="calls"` counts calls in-process from `start_step`
instead, for callers that send a fresh conversation on every call.
After the last step the model replies "done" with no tool calls (`strict=False`, the default, so
an agent loop ends normally) or raises ScriptError (`strict=True`).
Usage: input/output tokens are estimates, ceil(characters / 4) of the request and of the reply.
"""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path
from typing import Any, Literal, Sequence

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from szagents.errors import UnknownSpecError
from szagents.errors import ModelConfigError
from szagents.paths import kernels_dir

__all__ = [
    "FINAL_CONTENT",
    "Script",
    "ScriptError",
    "ScriptStep",
    "ScriptToolCall",
    "ScriptedChatModel",
    "bundled_scripts",
    "estimate_tokens",
    "estimated_usage",
    "load_script",
    "make_scripted",
    "resolve_args",
]

FINAL_CONTENT = "done"
_SCRIPTS_DIR = Path(__file__).resolve().parent / "scripts"


class ScriptError(ModelConfigError):
    """A script that cannot be loaded or played: bad JSON, missing $file, a replace that misses."""


class ScriptToolCall(BaseModel):
    """One tool call of a step; args values may hold {"$file": ..., "replace": [...]} objects."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    args: dict[str, Any] = Field(default_factory=dict)


class ScriptStep(BaseModel):
    """One model reply: text and tool calls."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    content: str = ""
    tool_calls: list[ScriptToolCall] = Field(default_factory=list)


class Script(BaseModel):
    """A loaded script: its steps, its name and the folder its relative $file paths start from."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    folder: Path
    description: str = ""
    steps: list[ScriptStep]


def bundled_scripts() -> list[str]:
    """Names of the scripts shipped in szagents/models/scripts/."""
    return sorted(p.stem for p in _SCRIPTS_DIR.glob("*.json"))


def _script_path(ref: str | Path) -> Path:
    """The file a script reference names: a bundled name, or a path to a .json file."""
    text = str(ref)
    if text.endswith(".json") or "/" in text or "\\" in text:
        path = Path(text).expanduser()
        if not path.is_file():
            raise ScriptError(f"script file {path} does not exist")
        return path
    path = _SCRIPTS_DIR / f"{text}.json"
    if not path.is_file():
        raise UnknownSpecError(
            f"no bundled script {text!r}; bundled scripts: {', '.join(bundled_scripts()) or 'none'} "
            "(or give a path to a .json script file)"
        )
    return path


def load_script(ref: str | Path) -> Script:
    """Load a script by bundled name or .json path; raise ScriptError naming the file if it is invalid."""
    path = _script_path(ref)
    try:
        data = json.loads(path.read_text())
        return Script(name=path.stem, folder=path.parent.resolve(), **data)
    except (json.JSONDecodeError, ValidationError, TypeError) as exc:
        raise ScriptError(f"script {path} is invalid: {exc}") from exc


def _file_arg(spec: dict[str, Any], script: Script, where: str) -> str:
    """The text a {"$file": ..., "replace": [...]} argument stands for."""
    unknown = set(spec) - {"$file", "replace"}
    if unknown:
        raise ScriptError(f"{where}: unknown keys {sorted(unknown)} beside '$file'")
    rel = str(spec["$file"])
    if rel.startswith("kernels/"):
        path = kernels_dir() / rel.removeprefix("kernels/")
    else:
        path = Path(rel) if Path(rel).is_absolute() else script.folder / rel
    if not path.is_file():
        raise ScriptError(f"{where}: $file {rel!r} not found (looked at {path})")
    text = path.read_text()
    for i, pair in enumerate(spec.get("replace", [])):
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(s, str) for s in pair)):
            raise ScriptError(f"{where}: replace[{i}] must be a pair of strings, got {pair!r}")
        old, new = pair
        count = text.count(old)
        if count != 1:
            raise ScriptError(f"{where}: replace[{i}] {old!r} matches {count} times in {rel} "
                              "(must match exactly once)")
        text = text.replace(old, new)
    return text


def resolve_args(value: Any, script: Script, where: str) -> Any:
    """value with every {"$file": ...} object (at any depth) replaced by the text it computes."""
    if isinstance(value, dict):
        if "$file" in value:
            return _file_arg(value, script, where)
        return {k: resolve_args(v, script, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_args(v, script, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def estimate_tokens(text: str) -> int:
    """A rough token count: ceil(characters / 4)."""
    return math.ceil(len(text) / 4)


def _message_text(message: BaseMessage) -> str:
    """All characters a message sends: its content and its tool calls' arguments."""
    content = message.content if isinstance(message.content, str) else json.dumps(message.content)
    calls = getattr(message, "tool_calls", None) or []
    return content + "".join(c["name"] + json.dumps(c["args"]) for c in calls)


def estimated_usage(request: Sequence[BaseMessage], reply: AIMessage, tools: Any = None) -> UsageMetadata:
    """Estimated usage: characters / 4 of the request (messages, tool schemas) and of the reply."""
    schemas = json.dumps(tools) if tools else ""
    inp = estimate_tokens(schemas + "".join(_message_text(m) for m in request))
    out = estimate_tokens(_message_text(reply))
    return UsageMetadata(input_tokens=inp, output_tokens=out, total_tokens=inp + out)


def _tool_names(tools: Sequence[dict[str, Any]] | None) -> set[str] | None:
    """Names of the bound tools (OpenAI format), None when no tools are bound."""
    if tools is None:
        return None
    return {t.get("function", t).get("name", "") for t in tools}


class ScriptedChatModel(BaseChatModel):
    """A chat model that replies with the steps of a Script, in order, deterministically."""

    script: Script
    start_step: int = 0
    strict: bool = False
    position: Literal["conversation", "calls"] = "conversation"
    _calls: int = PrivateAttr(default=0)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def __init__(self, script: Script | str | Path, **kwargs: Any) -> None:
        """Build from a Script, a bundled script name or a .json path."""
        super().__init__(script=script if isinstance(script, Script) else load_script(script), **kwargs)

    @property
    def _llm_type(self) -> str:
        return "szagents-scripted"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"script": self.script.name, "start_step": self.start_step}

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any) -> Any:
        """Bind tools (converted to OpenAI format); scripted tool calls must name one of them."""
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def next_step(self, messages: Sequence[BaseMessage]) -> int:
        """The step the next reply plays, from the conversation (or the call count)."""
        if self.position == "calls":
            with self._lock:
                self._calls += 1
                return self.start_step + self._calls - 1
        replies = [m.response_metadata for m in messages if isinstance(m, AIMessage)]
        mine = [r["scripted_step"] for r in replies
                if r.get("script") == self.script.name and isinstance(r.get("scripted_step"), int)]
        if mine:
            return mine[-1] + 1
        # No reply of ours survived (stripped metadata, or a fresh conversation): count the
        # replies that no script marked.
        return self.start_step + sum("scripted_step" not in r for r in replies)

    def _reply(self, k: int, tools: set[str] | None) -> AIMessage:
        """The AIMessage of step k (or the final 'done' message past the end)."""
        meta = {"model_name": f"scripted:{self.script.name}", "model_provider": "scripted",
                "script": self.script.name, "scripted_step": k}
        if k >= len(self.script.steps):
            if self.strict:
                raise ScriptError(f"script {self.script.name!r} has {len(self.script.steps)} steps; "
                                  f"step {k} was requested (strict=True)")
            return AIMessage(content=FINAL_CONTENT, response_metadata=meta)
        step = self.script.steps[k]
        calls = []
        for i, call in enumerate(step.tool_calls):
            where = f"script {self.script.name!r} step {k} tool call {i} ({call.name})"
            if tools is not None and call.name not in tools:
                raise ScriptError(f"{where}: tool not bound; bound tools: {sorted(tools)}")
            args = resolve_args(call.args, self.script, f"{where} args")
            calls.append({"name": call.name, "args": args, "id": f"call_{k}_{i}", "type": "tool_call"})
        return AIMessage(content=step.content, tool_calls=calls, response_metadata=meta)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Play the next step of the script."""
        tools = kwargs.get("tools")
        reply = self._reply(self.next_step(messages), _tool_names(tools))
        reply.usage_metadata = estimated_usage(messages, reply, tools)
        return ChatResult(generations=[ChatGeneration(message=reply)])


def make_scripted(
    model: str,
    *,
    start_step: int = 0,
    strict: bool = False,
    position: Literal["conversation", "calls"] = "conversation",
    max_retries: int | None = None,
    timeout: float | None = None,
) -> ScriptedChatModel:
    """Factory for 'scripted:<name or path.json>'; max_retries and timeout are accepted and ignored."""
    return ScriptedChatModel(model, start_step=start_step, strict=strict, position=position)
