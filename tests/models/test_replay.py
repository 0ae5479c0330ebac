"""ReplayChatModel: a recorded scripted run, written as llm_call events, replays to identical messages."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from szagents.models import (
    ModelConfigError,
    ReplayChatModel,
    ReplayExhaustedError,
    make_model,
    message_to_record,
)
from szagents.trajectory.events import LlmCall

from .agent_loop import agent_loop


class RecordingModel:
    """Wraps a bound model; logs every call as an LlmCall event, as the roles will."""

    def __init__(self, model, role: str, events: list[LlmCall], spec: str) -> None:
        self.model, self.role, self.events, self.spec = model, role, events, spec

    def bind_tools(self, tools):
        return RecordingModel(self.model.bind_tools(tools), self.role, self.events, self.spec)

    def invoke(self, messages: list[BaseMessage]) -> AIMessage:
        start = time.perf_counter()
        reply = self.model.invoke(messages)
        usage = reply.usage_metadata or {}
        iteration = 1 + sum(e.role == self.role for e in self.events)
        self.events.append(LlmCall(
            run_id="r1", seq=len(self.events), role=self.role, model=self.spec, iteration=iteration,
            input_tokens=usage.get("input_tokens", 0), output_tokens=usage.get("output_tokens", 0),
            latency_s=time.perf_counter() - start, request_messages=len(messages),
            response=message_to_record(reply)))
        return reply


def _write(run_dir: Path, events: list[LlmCall]) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / "trajectory.jsonl"
    path.write_text("".join(e.model_dump_json() + "\n" for e in events))
    return path


def _records(messages: list[BaseMessage]) -> list[object]:
    """Comparable form of a conversation: AI replies as records (less the model's own position marks),
    tool outputs as (id, text)."""
    return [{k: v for k, v in message_to_record(m).items() if k != "position"} if isinstance(m, AIMessage)
            else (type(m).__name__, m.content, getattr(m, "tool_call_id", None)) for m in messages]


@pytest.fixture
def recorded_run(tmp_path) -> tuple[Path, list[BaseMessage]]:
    """A hello-script run through the tool loop, its llm_call events written to run/trajectory.jsonl."""
    events: list[LlmCall] = []
    model = RecordingModel(make_model("scripted:hello"), "agent", events, "scripted:hello")
    result = agent_loop(model).invoke({"messages": [HumanMessage("look around")]})
    _write(tmp_path / "run", events)
    return tmp_path / "run", result["messages"]


def test_replay_of_run_dir_reproduces_the_conversation(recorded_run):
    """Replaying a run folder through the same loop gives the same replies, tool calls, ids and usage."""
    run_dir, original = recorded_run
    replayed = agent_loop(make_model(f"replay:{run_dir}")).invoke({"messages": [HumanMessage("look around")]})
    assert _records(replayed["messages"]) == _records(original)
    assert any(isinstance(m, ToolMessage) for m in replayed["messages"])


def test_replay_reissues_recorded_usage(recorded_run):
    """A replayed reply carries the usage numbers recorded for it, not a new estimate."""
    run_dir, original = recorded_run
    first = make_model(f"replay:{run_dir / 'trajectory.jsonl'}").invoke([HumanMessage("anything else")])
    assert first.usage_metadata == original[1].usage_metadata and first.tool_calls == original[1].tool_calls


def test_replay_role_filter_keeps_one_role(tmp_path):
    """#role replays only that role's calls, in their recorded order."""
    events = [LlmCall(run_id="r", role=role, model="m", iteration=i, latency_s=0.1, request_messages=1,
                      response={"content": f"{role} {i}", "tool_calls": [], "usage": {}, "model_name": "m"})
              for i, role in [(1, "translator"), (1, "validator"), (2, "translator")]]
    _write(tmp_path / "run", events)
    model = make_model(f"replay:{tmp_path / 'run'}#translator")
    assert [model.invoke("x").content for _ in range(2)] == ["translator 1", "translator 2"]
    silent = make_model(f"replay:{tmp_path / 'run'}#optimizer")  # a role that never spoke replays nothing
    with pytest.raises(ReplayExhaustedError, match="all 0 recorded responses"):
        silent.invoke("x")


def test_running_out_of_recorded_responses_is_a_clear_error(recorded_run):
    """Asking for more replies than recorded raises ReplayExhaustedError naming the run and the count."""
    run_dir, _ = recorded_run
    model = make_model(f"replay:{run_dir}")
    for _ in range(3):
        model.invoke("x")
    with pytest.raises(ReplayExhaustedError, match=rf"replay of {run_dir}: all 3 recorded responses .* call 4"):
        model.invoke("x")


def test_fresh_replay_model_resumes_after_replayed_replies(recorded_run):
    """A new ReplayChatModel given a conversation holding replayed replies continues after the last one."""
    run_dir, original = recorded_run
    first = make_model(f"replay:{run_dir}").invoke([HumanMessage("go")])
    resumed = make_model(f"replay:{run_dir}")
    assert isinstance(resumed, ReplayChatModel)
    second = resumed.invoke([HumanMessage("go"), first, ToolMessage("out", tool_call_id="call_0_0")])
    assert second.tool_calls == original[3].tool_calls


def test_missing_replay_source_is_reported(tmp_path):
    """A replay path with no trajectory raises ModelConfigError naming the path."""
    with pytest.raises(ModelConfigError, match="does not exist"):
        make_model(f"replay:{tmp_path / 'nothing'}")
