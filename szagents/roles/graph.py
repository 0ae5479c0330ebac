"""Compose the roles into graphs: the single-agent baseline and the multi-agent team."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Literal

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from szagents.models.pricing import cost_usd, load_prices, tokens_by_model
from szagents.roles.author import make_author
from szagents.roles.context import RunContext
from szagents.roles.state import AgentState
from szagents.roles.validator import validator
from szagents.trajectory.events import NodeEnter, NodeExit, RouteEvent, RunEnd

__all__ = ["GRAPH_END", "finish", "finish_as", "build_graph", "logged", "router", "run_end"]

GRAPH_END = "graph_end"
"""Stop reason of a run whose graph reached finish with none set (a custom graph's own rule; see finish_as)."""


def run_end(ctx: RunContext, state: AgentState, stop_reason: str | None = None, error_class: str | None = None) -> RunEnd:
    """The run_end event of state (its totals and best revision), as logged."""
    best = next((r for r in state.get("revisions", []) if r["number"] == state.get("best")), None)
    model_of = {spec.conversation: spec.model for spec in ctx.team.roles.values()}
    usage = tokens_by_model(state.get("conversations", {}), model_of,
                            (state.get("input_tokens", 0), state.get("output_tokens", 0)))
    return ctx.sink.emit(RunEnd(
        run_id=ctx.run_id, stop_reason=stop_reason or state.get("stop_reason") or GRAPH_END,
        iterations=dict(state.get("iterations", {})), input_tokens=state.get("input_tokens", 0),
        output_tokens=state.get("output_tokens", 0), wall_seconds=state.get("elapsed_seconds", 0.0),
        best_revision=best["number"] if best else None,
        best_compress_gbps=best["compress_gbps"] if best else None,
        best_decompress_gbps=best["decompress_gbps"] if best else None,
        best_ratio=best["ratio"] if best else None, error_class=error_class,
        cost_usd=cost_usd(load_prices(), usage), tokens_by_model={m: list(t) for m, t in usage.items()},
    ))


def finish(state: AgentState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Log the end of the run with its best revision (stop reason: the state's, else GRAPH_END)."""
    run_end(runtime.context, state)
    return {}


def finish_as(reason: str) -> Callable[[AgentState, Runtime[RunContext]], dict[str, Any]]:
    """A finish node for a graph that ends runs by a rule of its own: the state's stop reason (a budget, the
    agent's stop) when there is one, else reason (e.g. 'first_correct'), so reports name why the run ended."""

    def finish_node(state: AgentState, runtime: Runtime[RunContext]) -> dict[str, Any]:
        run_end(runtime.context, state, stop_reason=state.get("stop_reason") or reason)
        return {}

    finish_node.__name__ = "finish"
    return finish_node


def _changes(update: dict[str, Any]) -> dict[str, Any]:
    """A compact, loggable summary of a node's state update."""
    summary: dict[str, Any] = {}
    for key, value in update.items():
        if key == "conversations":
            summary[key] = {k: len(v) for k, v in value.items()}
        elif key == "revisions":
            summary[key] = {"count": len(value), "last": value[-1]["number"] if value else None}
        elif key == "feedback":
            summary[key] = {k: (v[:200] + "...") if len(v) > 200 else v for k, v in value.items()}
        else:
            summary[key] = value
    return summary


def logged(name: str, node: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Wrap a node so it logs node_enter and node_exit (with its state changes)."""

    def run(state: AgentState, runtime: Runtime[RunContext]) -> dict[str, Any]:
        ctx = runtime.context
        role = state.get("active_role") if name in ("agent", "translator", "optimizer") else None
        ctx.sink.emit(NodeEnter(run_id=ctx.run_id, node=name, role=role))
        start = time.perf_counter()
        update = node(state, runtime)
        ctx.sink.emit(NodeExit(run_id=ctx.run_id, node=name, role=role, duration_s=time.perf_counter() - start,
                               changes=_changes(update)))
        return update

    run.__name__ = name
    return run


def router(source: str, nodes: dict[str, str]):  # noqa: ANN202 - returns a LangGraph path function
    """Path function after `source`: finish, validator, or the node of the active role."""

    def route(state: AgentState, runtime: Runtime[RunContext]) -> str:
        if state.get("stop_reason"):
            target, reason = "finish", state["stop_reason"]
        elif state.get("submission"):
            target, reason = "validator", "submitted"
        elif source == START and state.get("active_role") == "optimizer" and not state.get("revisions"):
            target, reason = "validator", "measure the starting code as the baseline"
        else:
            target, reason = nodes[state["active_role"]], f"{state['active_role']}'s turn"
        runtime.context.sink.emit(RouteEvent(run_id=runtime.context.run_id, source=source, target=target, reason=reason))
        return target

    return route


def build_graph(shape: Literal["single", "multi"] = "single", *, context_schema: type = RunContext,
                adapt: Callable[[Callable[..., Any]], Callable[..., Any]] = lambda fn: fn) -> StateGraph:
    """The same nodes wired as one agent ("single": one author node plays every role) or a team.

    adapt wraps every node and path function (e.g. to build the RunContext from a smaller
    context_schema, as the LangGraph Studio graphs in graphs/ do).
    """
    graph = StateGraph(AgentState, context_schema=context_schema)
    if shape == "single":
        nodes = {"translator": "agent", "optimizer": "agent"}
        graph.add_node("agent", adapt(logged("agent", make_author(None))))
    else:
        nodes = {"translator": "translator", "optimizer": "optimizer"}
        graph.add_node("translator", adapt(logged("translator", make_author("translator"))))
        graph.add_node("optimizer", adapt(logged("optimizer", make_author("optimizer"))))
    graph.add_node("validator", adapt(logged("validator", validator)))
    graph.add_node("finish", adapt(logged("finish", finish)))
    targets = sorted({*nodes.values(), "validator", "finish"})
    graph.add_conditional_edges(START, adapt(router(START, nodes)), targets)
    for node in {*nodes.values(), "validator"}:
        graph.add_conditional_edges(node, adapt(router(node, nodes)), targets)
    graph.add_edge("finish", END)
    return graph


