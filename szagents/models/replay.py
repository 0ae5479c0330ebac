"""ReplayChatModel: re-issue the recorded responses of an earlier run, in recorded order.

`replay:<run dir or trajectory.jsonl>[#role]` reads the run's llm_call events (all roles in file
order by default: the graph calls roles in the same order on replay; `#role` keeps one role's
calls, for a per-role model). Each reply is `record_to_message(event.response)` with the recorded
token usage. Position: an in-process counter from `start_call`, never behind one past the last
replayed reply of the same role found in the request (replies carry
`response_metadata["replay_index"]` and `["replay_role"]`, so one conversation can mix the replies
of per-role models), so a resumed run picks up where its conversation stopped. Asking for more replies than were recorded
raises ReplayExhaustedError.
"""

from __future__ import annotations

import os
import threading
import warnings
from pathlib import Path
from typing import Any, Sequence

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, ConfigDict, PrivateAttr

from szagents.models.records import record_to_message
from szagents.errors import ModelConfigError
from szagents.trajectory.events import EventBase
from szagents.trajectory.reader import TRAJECTORY_FILENAME, read_events

__all__ = [
    "RecordedResponse",
    "ReplayChatModel",
    "ReplayExhaustedError",
    "load_recorded",
    "make_replay",
    "recorded_from_events",
    "trajectory_path",
    "check_replay_task",
    "OTHER_TASK_ENV",
]

OTHER_TASK_ENV = "SZAGENTS_REPLAY_OTHER_TASK"  # "1": replay a recording on another task, with a warning


class ReplayExhaustedError(ModelConfigError):
    """A replayed run asked for more model replies than the recording holds."""


class RecordedResponse(BaseModel):
    """One recorded model reply: who asked for it and the response record."""

    model_config = ConfigDict(frozen=True)
    role: str
    iteration: int
    response: dict[str, Any]
    input_tokens: int = 0
    output_tokens: int = 0

    def message(self) -> AIMessage:
        """The AIMessage to re-issue, with the recorded usage (from the event if the record has none)."""
        reply = record_to_message(self.response)
        if reply.usage_metadata is None and (self.input_tokens or self.output_tokens):
            reply.usage_metadata = {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                                    "total_tokens": self.input_tokens + self.output_tokens}
        return reply


def recorded_from_events(events: Sequence[EventBase], role: str | None = None) -> list[RecordedResponse]:
    """The llm_call events' responses in order, optionally only one role's."""
    found = []
    for event in events:
        if event.event != "llm_call" or (role is not None and getattr(event, "role", None) != role):
            continue
        found.append(RecordedResponse(
            role=getattr(event, "role", ""), iteration=getattr(event, "iteration", 0),
            response=getattr(event, "response", {}), input_tokens=getattr(event, "input_tokens", 0),
            output_tokens=getattr(event, "output_tokens", 0)))
    return found


def trajectory_path(source: str) -> Path:
    """The trajectory file a replay source names: the file itself or a run folder holding one."""
    path = Path(source).expanduser()
    if path.is_dir():
        path = path / TRAJECTORY_FILENAME
    if not path.is_file():
        raise ModelConfigError(f"replay source {source!r}: {path} does not exist; give a run folder "
                               f"or its {TRAJECTORY_FILENAME}")
    return path


def load_recorded(source: str, role: str | None = None) -> list[RecordedResponse]:
    """The recorded responses (of role, if given) of the run at source, a folder or trajectory file with at least one."""
    path = trajectory_path(source)
    events = read_events(path)
    if not recorded_from_events(events):
        raise ModelConfigError(f"replay source {path} holds no llm_call events to replay")
    return recorded_from_events(events, role)  # a role that never spoke gets none (asking it raises)


class ReplayChatModel(BaseChatModel):
    """A chat model that re-issues recorded replies in order."""

    recorded: list[RecordedResponse]
    source: str = ""
    role: str | None = None
    start_call: int = 0
    _next: int = PrivateAttr(default=0)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "szagents-replay"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"source": self.source, "role": self.role}

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any) -> Any:
        """Bind tools (converted to OpenAI format); they do not change what is replayed."""
        if tool_choice is not None:
            kwargs["tool_choice"] = tool_choice
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def next_index(self, messages: Sequence[BaseMessage]) -> int:
        """The index of the next reply: the call counter, advanced past any replayed reply in messages."""
        seen = [m.response_metadata.get("replay_index") for m in messages
                if isinstance(m, AIMessage) and m.response_metadata.get("replay_role", self.role) == self.role]
        after = max((i + 1 for i in seen if isinstance(i, int)), default=0)
        with self._lock:
            index = max(self.start_call, self._next, after)
            self._next = index + 1
        return index

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Re-issue the next recorded reply."""
        index = self.next_index(messages)
        if index >= len(self.recorded):
            which = f" (role {self.role})" if self.role else ""
            raise ReplayExhaustedError(
                f"replay of {self.source or 'a recording'}{which}: all {len(self.recorded)} recorded "
                f"responses are used and call {index + 1} was asked for; the replayed run diverged "
                "from the recording (different tool results or graph) or was given a larger budget")
        reply = self.recorded[index].message()
        reply.response_metadata["replay_index"] = index
        reply.response_metadata["replay_role"] = self.role
        return ChatResult(generations=[ChatGeneration(message=reply)])


def make_replay(
    model: str, *, start_call: int = 0, max_retries: int | None = None, timeout: float | None = None
) -> ReplayChatModel:
    """Factory for 'replay:<run dir or trajectory.jsonl>[#role]'; max_retries and timeout are ignored."""
    source, _, role = model.partition("#")
    return ReplayChatModel(recorded=load_recorded(source, role or None), source=source,
                           role=role or None, start_call=start_call)


def check_replay_task(model: str, task_id: str) -> None:
    """Refuse `replay:<run>` on a task other than the recording's (warn instead when OTHER_TASK_ENV=1)."""
    if not model.startswith("replay:"):
        return
    path = trajectory_path(model.removeprefix("replay:").partition("#")[0])
    recorded = next((getattr(e, "task_id", None) for e in read_events(path) if e.event == "run_start"), None)
    if recorded is None or recorded == task_id:
        return
    message = (f"replay source {path} recorded task {recorded!r}, not {task_id!r}: its code was written for that "
               f"task, so replaying it here measures the wrong thing")
    if os.environ.get(OTHER_TASK_ENV) != "1":
        raise ModelConfigError(f"{message}; run with --task {recorded}, or set {OTHER_TASK_ENV}=1 to replay anyway")
    warnings.warn(message, stacklevel=2)
