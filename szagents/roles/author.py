"""Author nodes (translator, optimizer): one LLM call, then the tool calls it asked for."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, SystemMessage, ToolMessage
from langgraph.runtime import Runtime

from szagents.errors import HarnessError
from szagents.models.records import message_to_record
from szagents.roles.budget import exhausted
from szagents.roles.context import RunContext
from szagents.roles.state import AgentState
from szagents.trajectory.events import ErrorEvent, LlmCall, ToolCall

__all__ = ["make_author", "SUBMIT_TOOL"]

SUBMIT_TOOL = "submit"


def _opening(ctx: RunContext, role: str, history: list[AnyMessage]) -> list[AnyMessage]:
    """System prompt and task brief when the conversation starts."""
    if history:
        return []
    return [SystemMessage(ctx.system_prompt(role)), HumanMessage(ctx.brief(role))]


def _call_model(ctx: RunContext, role: str, messages: list[AnyMessage], iteration: int) -> AIMessage:
    """Invoke the role's model and log the call (tokens, latency, the response for replay)."""
    start = time.perf_counter()
    try:
        reply = ctx.models[role].invoke(messages)
    except Exception as exc:  # the provider failed after its retries: log, then let the run stop
        ctx.sink.emit(ErrorEvent(run_id=ctx.run_id, kind="model", message=f"{type(exc).__name__}: {exc}"))
        raise
    usage = reply.usage_metadata or {}
    ctx.sink.emit(
        LlmCall(
            run_id=ctx.run_id, role=role, model=ctx.team.models()[role], iteration=iteration,
            input_tokens=int(usage.get("input_tokens", 0)), output_tokens=int(usage.get("output_tokens", 0)),
            latency_s=time.perf_counter() - start, request_messages=len(messages),
            response=message_to_record(reply),
        )
    )
    return reply


def _run_tool(ctx: RunContext, role: str, call: dict[str, Any]) -> tuple[ToolMessage, bool]:
    """Execute one tool call; agent mistakes come back as text, never as exceptions."""
    start = time.perf_counter()
    tool = ctx.tools.get(call["name"])
    ok = tool is not None
    if tool is None:
        output = f"error: unknown tool {call['name']!r}; available tools: {', '.join(sorted(ctx.tools))}"
    else:
        try:
            output = str(tool.invoke(call.get("args", {})))
        except HarnessError:
            raise  # the harness itself broke: a human must look; the checkpoint allows a resume
        except Exception as exc:  # bad arguments (schema) or a tool bug: tell the agent
            ok, output = False, f"error: {call['name']} failed: {type(exc).__name__}: {exc}"
    ctx.sink.emit(
        ToolCall(run_id=ctx.run_id, role=role, tool=call["name"], call_id=call.get("id") or "",
                 args=call.get("args", {}), ok=ok, output=output, duration_s=time.perf_counter() - start)
    )
    return ToolMessage(content=output, tool_call_id=call.get("id") or call["name"], name=call["name"]), ok


def _turn(ctx: RunContext, role: str, state: AgentState) -> dict[str, Any]:
    """One iteration of role: prompt, call, tools; returns the state update."""
    key = ctx.team.roles[role].conversation
    history = list(state.get("conversations", {}).get(key, []))
    messages = history + _opening(ctx, role, history)
    note = state.get("feedback", {}).get(role)
    if note:
        messages.append(HumanMessage(note))
    iteration = state.get("iterations", {}).get(role, 0) + 1
    ctx.on_turn(role)
    reply = _call_model(ctx, role, messages, iteration)
    messages.append(reply)
    submission = None
    for call in reply.tool_calls:
        result, _ = _run_tool(ctx, role, call)
        messages.append(result)
        if call["name"] == SUBMIT_TOOL:
            submission = {"role": role, "action": str(call.get("args", {}).get("action", "")).strip() or "(no summary)"}
    usage = reply.usage_metadata or {}
    return {
        "conversations": {key: messages},
        "iterations": {role: iteration},
        "input_tokens": state.get("input_tokens", 0) + int(usage.get("input_tokens", 0)),
        "output_tokens": state.get("output_tokens", 0) + int(usage.get("output_tokens", 0)),
        "feedback": {role: ""},
        "submission": submission,
        "stop_reason": None if reply.tool_calls else "agent_stop",
    }


def make_author(role: str | None = None) -> Callable[[AgentState, Runtime[RunContext]], dict[str, Any]]:
    """A node playing role, or (role=None) whichever author role state["active_role"] names."""

    def author(state: AgentState, runtime: Runtime[RunContext]) -> dict[str, Any]:
        ctx = runtime.context
        acting = role or state["active_role"]
        start = time.perf_counter()
        reason = exhausted(state, ctx.budgets)
        update = {"stop_reason": reason} if reason else _turn(ctx, acting, state)
        update["elapsed_seconds"] = state.get("elapsed_seconds", 0.0) + time.perf_counter() - start
        return update

    author.__name__ = f"{role or 'agent'}_author"
    return author
