"""One run's trajectory events as an Inspect transcript: chat messages and Inspect events, in the run's order.

    llm_call          -> ModelEvent (its input: the conversation so far, rebuilt) + the assistant message
    tool_call         -> ToolEvent + the tool message (when an assistant message asked for that call)
    node_enter / exit -> a span per graph node; the validator's feedback -> a user message to that role
    revision          -> an intermediate ScoreEvent (verdict, GB/s, ratio; the diff in its metadata)
    anything else     -> InfoEvent(source="szagents/<event>", data=the event as recorded)

Conversations follow the team: one ("agent") for a single agent or an outside MCP agent, one per role
for a multi team; the LLM reviewer ("validator") has its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from inspect_ai.event import (Event, InfoEvent, ModelEvent, ScoreEvent, SpanBeginEvent, SpanEndEvent, ToolEvent)
from inspect_ai.model import (ChatCompletionChoice, ChatMessage, ChatMessageAssistant, ChatMessageTool,
                              ChatMessageUser, GenerateConfig, ModelOutput, ModelUsage)
from inspect_ai.scorer import Score
from inspect_ai.tool import ToolCall, ToolCallError

from szagents.trajectory.events import EventBase, RevisionEvent

__all__ = ["Transcript", "build_transcript", "inspect_model", "revision_value"]

_AUTHORS = ("agent", "translator", "optimizer")


def inspect_model(spec: str) -> str:
    """A szagents model spec in Inspect's provider/model form ('openai:gpt-5' -> 'openai/gpt-5')."""
    return spec.replace(":", "/", 1)


def revision_value(correct: bool, compress: float | None, decompress: float | None, ratio: float | None) -> dict:
    """The value of a revision's (or a run's) score: correct, compression and decompression GB/s, ratio."""
    return {"correct": bool(correct), "compress_gbps": compress, "decompress_gbps": decompress, "ratio": ratio}


def _text(content: Any) -> str:
    """A reply's text: the string, or the text parts of a list of content blocks."""
    if isinstance(content, str):
        return content
    return "\n".join(str(b.get("text", "")) for b in content or [] if isinstance(b, dict) and b.get("text"))


@dataclass
class Transcript:
    """A run as Inspect sees it: messages, events, the last model output and token usage."""

    messages: list[ChatMessage] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    output: ModelOutput = field(default_factory=ModelOutput)
    model_usage: dict[str, ModelUsage] = field(default_factory=dict)
    role_usage: dict[str, ModelUsage] = field(default_factory=dict)
    llm_calls: int = 0
    tool_calls: int = 0


class _Builder:
    """Walks a run's events once, in order."""

    def __init__(self, team: str) -> None:
        self.out = Transcript()
        self.team = team
        self.conversations: dict[str, list[ChatMessage]] = {}
        self.asked: set[str] = set()  # tool call ids an assistant message carries
        self.spans: list[str] = []
        self.t0: datetime | None = None

    def conversation(self, role: str | None) -> list[ChatMessage]:
        key = role if role == "validator" or self.team == "multi" else "agent"
        return self.conversations.setdefault(key or "agent", [])

    def say(self, role: str | None, message: ChatMessage) -> None:
        self.conversation(role).append(message)
        self.out.messages.append(message)

    def common(self, e: EventBase, at: datetime | None = None) -> dict[str, Any]:
        """Fields every Inspect event takes from a szagents event: id, span, time."""
        when = at or datetime.fromisoformat(e.ts)
        self.t0 = self.t0 or when
        return {"uuid": f"{e.run_id}-{e.seq}", "span_id": self.spans[-1] if self.spans else None, "timestamp": when,
                "working_start": max((when - self.t0).total_seconds(), 0.0)}

    def add(self, e: EventBase) -> None:
        handler = getattr(self, f"_{e.event}", None)
        if handler is None or type(e) is EventBase:  # plain EventBase: an event type this version does not know
            self.out.events.append(InfoEvent(source=f"szagents/{e.event}", data=e.model_dump(mode="json"), **self.common(e)))
        else:
            handler(e)

    def _node_enter(self, e: Any) -> None:
        span = f"{e.run_id}-{e.seq}"
        kind = "agent" if e.node in _AUTHORS else e.node
        name = f"{e.node} ({e.role})" if e.role else e.node
        self.out.events.append(SpanBeginEvent(id=span, parent_id=self.spans[-1] if self.spans else None, type=kind,
                                              name=name, **self.common(e)))
        self.spans.append(span)

    def _node_exit(self, e: Any) -> None:
        for role, text in (e.changes.get("feedback") or {}).items():
            if text:  # what the validator told the role, as node_exit keeps it
                self.say(role, ChatMessageUser(content=text, source="input", metadata={"from": "validator", "to": role}))
        if self.spans:
            span = self.spans.pop()
            self.out.events.append(SpanEndEvent(id=span, metadata={"duration_s": e.duration_s, "changes": e.changes},
                                                **self.common(e)))

    def _llm_call(self, e: Any) -> None:
        reply = e.response or {}
        calls = [ToolCall(id=c.get("id") or f"{e.run_id}-{e.seq}-{i}", function=str(c.get("name")),
                          arguments=dict(c.get("args") or {})) for i, c in enumerate(reply.get("tool_calls") or [])]
        calls += [ToolCall(id=c.get("id") or f"{e.run_id}-{e.seq}-bad{i}", function=str(c.get("name") or "(no name)"),
                           arguments={}, parse_error=str(c.get("error") or "invalid JSON"))
                  for i, c in enumerate(reply.get("invalid_tool_calls") or [])]
        self.asked.update(c.id for c in calls)
        model = inspect_model(e.model)
        message = ChatMessageAssistant(content=_text(reply.get("content")), tool_calls=calls or None, model=model,
                                       source="generate", metadata={"role": e.role, "iteration": e.iteration})
        usage = ModelUsage(input_tokens=e.input_tokens, output_tokens=e.output_tokens,
                           total_tokens=e.input_tokens + e.output_tokens)
        output = ModelOutput(model=model, usage=usage, time=e.latency_s, choices=[
            ChatCompletionChoice(message=message, stop_reason="tool_calls" if calls else "stop")])
        ended = datetime.fromisoformat(e.ts)
        self.out.events.append(ModelEvent(
            model=model, role=e.role, input=list(self.conversation(e.role)), tools=[], tool_choice="auto",
            config=GenerateConfig(), output=output, completed=ended, working_time=e.latency_s,
            metadata={"iteration": e.iteration, "request_messages": e.request_messages},
            **self.common(e, ended - timedelta(seconds=e.latency_s))))
        self.say(e.role, message)
        self.out.output = output
        self.out.llm_calls += 1
        for table, key in ((self.out.model_usage, model), (self.out.role_usage, e.role)):
            table[key] = table[key] + usage if key in table else usage

    def _tool_call(self, e: Any) -> None:
        call_id = e.call_id or f"{e.run_id}-{e.seq}"
        error = None if e.ok else ToolCallError("unknown", e.output)
        ended = datetime.fromisoformat(e.ts)
        self.out.events.append(ToolEvent(
            id=call_id, function=e.tool, arguments=e.args, result=e.output, error=error, completed=ended,
            working_time=e.duration_s, metadata={"role": e.role, "agent": e.agent},
            **self.common(e, ended - timedelta(seconds=e.duration_s))))
        self.out.tool_calls += 1
        if call_id in self.asked:
            self.say(e.role, ChatMessageTool(content=e.output, tool_call_id=call_id, function=e.tool, error=error,
                                             metadata={"role": e.role}))

    def _revision(self, e: RevisionEvent) -> None:
        detail = f": {e.detail}" if e.detail else ""
        reused = f" (the files of revision {e.reused_from}: its result reused)" if e.reused_from else ""
        score = Score(value=revision_value(e.correct, e.compress_gbps, e.decompress_gbps, e.ratio), answer=e.action,
                      explanation=f"revision {e.number} by {e.role}: {e.verdict}{detail}{reused}"
                                  + (" (best so far)" if e.is_best else ""),
                      metadata=e.model_dump(mode="json", exclude={"event", "format_version", "run_id", "seq", "ts"}))
        self.out.events.append(ScoreEvent(score=score, intermediate=True, scorer="szagents_validator",
                                          **self.common(e)))


def build_transcript(events: list[EventBase], team: str) -> Transcript:
    """The transcript of a run's events (team: the run's team, which decides its conversations)."""
    builder = _Builder(team)
    for event in events:
        builder.add(event)
    return builder.out
