"""Author nodes (translator, optimizer): one LLM call, then the tool calls it asked for."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, SystemMessage, ToolMessage
from langgraph.runtime import Runtime

from szagents.errors import HarnessError
from szagents.roles.budget import BudgetSpent, exhausted
from szagents.roles.context import RunContext
from szagents.roles.llm import call_model, deadline_of, usage_of
from szagents.roles.state import AgentState
from szagents.trajectory.events import ErrorEvent, ToolCall

__all__ = ["MAX_INVALID_TURNS", "make_author", "SUBMIT_TOOL"]

SUBMIT_TOOL = "submit"


def _opening(ctx: RunContext, role: str, history: list[AnyMessage]) -> list[AnyMessage]:
    """System prompt and task brief when the conversation starts."""
    if history:
        return []
    return [SystemMessage(ctx.system_prompt(role)), HumanMessage(ctx.brief(role))]


MAX_INVALID_TURNS = 3
"""Author turns in a row whose tool calls are all unparseable before the run stops (invalid_tool_calls)."""


def _run_tool(ctx: RunContext, role: str, call: dict[str, Any]) -> tuple[ToolMessage, bool]:
    """Execute one tool call; agent mistakes and tool failures come back as ok=False results."""
    start = time.perf_counter()
    tool = ctx.tools.get(call["name"])
    call_id = call.get("id") or call["name"]
    if tool is None:
        result = ToolMessage(content=f"error: unknown tool {call['name']!r}; available tools: "
                             f"{', '.join(sorted(ctx.tools))}", tool_call_id=call_id, name=call["name"], status="error")
    else:
        try:  # invoked as a tool call, the tool reports handled failures as status="error"
            result = tool.invoke({"type": "tool_call", "name": call["name"], "args": call.get("args", {}), "id": call_id})
        except HarnessError:
            raise  # the harness itself broke: a human must look; the checkpoint allows a resume
        except Exception as exc:  # a tool bug: tell the agent, the run goes on
            result = ToolMessage(content=f"error: {call['name']} failed: {type(exc).__name__}: {exc}",
                                 tool_call_id=call_id, name=call["name"], status="error")
    ok = result.status != "error"
    ctx.sink.emit(
        ToolCall(run_id=ctx.run_id, role=role, tool=call["name"], call_id=call.get("id") or "",
                 args=call.get("args", {}), ok=ok, output=str(result.content), duration_s=time.perf_counter() - start)
    )
    return result, ok


def _invalid_call(ctx: RunContext, role: str, call: dict[str, Any]) -> ToolMessage:
    """The tool error answering a call whose arguments could not be parsed (logged as an error event)."""
    name, raw = call.get("name") or "(no name)", str(call.get("args") or "")
    ctx.sink.emit(ErrorEvent(run_id=ctx.run_id, kind="invalid_tool_call",
                             message=f"{role}: {name} call with unparseable arguments ({call.get('error') or 'invalid JSON'}): "
                                     f"{raw[:200]}"))
    text = (f"error: the arguments of your {name} call are not valid JSON ({len(raw)} characters received, "
            f"{call.get('error') or 'parse error'}); nothing was run. Send the call again with complete, valid "
            "JSON arguments; for a long file, write a shorter version first and extend it with edit_file.")
    return ToolMessage(content=text, tool_call_id=call.get("id") or name, name=name, status="error")


def _act(ctx: RunContext, role: str, reply: AIMessage, messages: list[AnyMessage]) -> dict[str, str] | None:
    """Answer every tool call of reply into messages; the submission, if a submit succeeded."""
    submission = None
    for call in reply.invalid_tool_calls:
        messages.append(_invalid_call(ctx, role, call))
    for call in reply.tool_calls:
        result, ok = _run_tool(ctx, role, call)
        messages.append(result)
        if call["name"] == SUBMIT_TOOL and ok:
            submission = {"role": role, "action": str(call.get("args", {}).get("action", "")).strip() or "(no summary)"}
    return submission


def _stop_reason(reply: AIMessage, streak: int) -> str | None:
    if streak >= MAX_INVALID_TURNS:
        return "invalid_tool_calls"
    return None if reply.tool_calls or reply.invalid_tool_calls else "agent_stop"


def _turn(ctx: RunContext, role: str, state: AgentState, deadline: float) -> dict[str, Any]:
    """One iteration of role: prompt, call, tools; returns the state update."""
    key = ctx.team.roles[role].conversation
    history = list(state.get("conversations", {}).get(key, []))
    messages = history + _opening(ctx, role, history)
    note = state.get("feedback", {}).get(role)
    if note:
        messages.append(HumanMessage(note))
    iteration = state.get("iterations", {}).get(role, 0) + 1
    ctx.on_turn(role)
    reply = call_model(ctx, role, messages, iteration, deadline)
    if reply is None:
        return {"stop_reason": "budget_wall"}
    messages.append(reply)
    submission = _act(ctx, role, reply, messages)
    streak = state.get("invalid_streak", 0) + 1 if reply.invalid_tool_calls and not reply.tool_calls else 0
    tokens_in, tokens_out = usage_of(reply)
    return {
        "conversations": {key: messages},
        "iterations": {role: iteration},
        "input_tokens": state.get("input_tokens", 0) + tokens_in,
        "output_tokens": state.get("output_tokens", 0) + tokens_out,
        "feedback": {role: ""},
        "submission": submission,
        "invalid_streak": streak,
        "stop_reason": _stop_reason(reply, streak),
    }


def make_author(role: str | None = None) -> Callable[[AgentState, Runtime[RunContext]], dict[str, Any]]:
    """A node playing role, or (role=None) whichever author role state["active_role"] names."""

    def author(state: AgentState, runtime: Runtime[RunContext]) -> dict[str, Any]:
        ctx = runtime.context
        acting = role or state["active_role"]
        start = time.perf_counter()
        reason = exhausted(state, ctx.budgets)
        deadline = deadline_of(ctx, state.get("elapsed_seconds", 0.0))
        try:
            update = {"stop_reason": reason} if reason else _turn(ctx, acting, state, deadline)
        except BudgetSpent as spent:  # a strategy's shared budget: nothing was sent
            update = {"stop_reason": spent.reason}
        update["elapsed_seconds"] = state.get("elapsed_seconds", 0.0) + time.perf_counter() - start
        return update

    author.__name__ = f"{role or 'agent'}_author"
    return author
