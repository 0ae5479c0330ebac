"""best-of-n: N independent agents (any team) on one task, concurrently; the best verified revision wins.

Each agent is the team's own graph (roles.graph.build_graph) run in its own workspace and its own
checkpoint thread (`<run id>/<candidate>`), so a killed search resumes every unfinished agent where
its last checkpoint left it, and its recorded calls are reused, never paid again. All agents share
the run's budget, revision store (numbers unique across agents), validator and device gate.
"""

from __future__ import annotations

import contextvars
import time
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send

from szagents.roles.graph import build_graph
from szagents.roles.state import initial_state
from szagents.roles.validator import score
from szagents.strategies.candidates import agent_context, team_shape
from szagents.strategies.context import SearchContext
from szagents.strategies.state import SearchState, search_run_end, summary_of
from szagents.tasks.task import Mode
from szagents.trajectory.search_events import CandidateEvent, CandidateResult

__all__ = ["build_best_of_n", "candidate_ids"]


def candidate_ids(n: int) -> list[str]:
    """The ids of n agents: a01, a02, ..."""
    return [f"a{i:02d}" for i in range(1, n + 1)]


def plan(state: SearchState, runtime: Runtime[SearchContext]) -> dict[str, Any]:
    """Announce every agent (parent: the starting code) before any of them calls a model."""
    ctx = runtime.context
    if state.get("planned"):
        return {}
    planned = [{"candidate": c, "parent": None, "inspirations": [], "island": None} for c in candidate_ids(ctx.strategy.n)]
    for entry in planned:
        ctx.sink.emit(CandidateEvent(run_id=ctx.run_id, candidate_id=entry["candidate"], strategy="best-of-n",
                                     generation=0, edit="agent"))
    return {"planned": planned, "generation": 0}


def fan_out(state: SearchState) -> list[Send] | str:
    """One task per agent not finished yet (a resumed search runs only those)."""
    todo = [p for p in state.get("planned", []) if p["candidate"] not in state.get("results", {})]
    return [Send("agent", p) for p in todo] or "select"


def _inner_run(ctx: SearchContext, candidate: str) -> dict[str, Any]:
    """Run (or resume) one agent's team graph to its end in its own checkpoint thread; its final state."""
    run_ctx = agent_context(ctx, candidate)
    compiled = build_graph(team_shape(ctx.team)).compile(checkpointer=ctx.saver)
    settings = {"configurable": {"thread_id": f"{ctx.run_id}/{candidate}"},
                "recursion_limit": 4 * ctx.budgets.iterations + 50}
    saved = compiled.get_state(settings)
    if saved.values and not saved.next and not saved.tasks:
        return dict(saved.values)  # finished before an interruption of the search
    first = "translator" if ctx.task.mode is Mode.translate else "optimizer"
    start = None if saved.values else initial_state(ctx.run_id, first)
    compiled.invoke(start, settings, context=run_ctx, durability="sync")
    return dict(compiled.get_state(settings).values)


def agent(entry: dict[str, Any], runtime: Runtime[SearchContext]) -> dict[str, Any]:
    """One agent, start to end; its best revision is its result."""
    ctx, candidate, began = runtime.context, entry["candidate"], time.perf_counter()
    # an isolated context: the agent's graph is its own graph, not a subgraph of the search's
    final = contextvars.Context().run(_inner_run, ctx, candidate)
    revisions = final.get("revisions", [])
    best = next((r for r in revisions if r["number"] == final.get("best")), None)
    last = best or (revisions[-1] if revisions else None)
    objective = score(best, ctx.task.integrity.objective) if best and best.get("compress_gbps") else None
    result = CandidateResult(
        run_id=ctx.run_id, candidate_id=candidate, stage="benchmark" if best else ("validate" if last else "none"),
        verdict=last["verdict"] if last else "no_submission", correct=best is not None,
        revision=last["number"] if last else None, objective=objective, ratio=best["ratio"] if best else None,
        stop_reason=final.get("stop_reason"), seconds=time.perf_counter() - began)
    fields = result.model_dump(exclude={"event", "format_version", "run_id", "seq", "ts", "candidate_id"})
    fields["candidate"] = candidate
    fields["iterations"] = dict(final.get("iterations", {}))
    return {"results": {candidate: fields}}


def select(state: SearchState, runtime: Runtime[SearchContext]) -> dict[str, Any]:
    """The winner: the agent whose best revision has the highest objective (earliest on ties); results logged."""
    ctx = runtime.context
    results = state.get("results", {})
    ranked = sorted((r for r in results.values() if r["correct"] and r["objective"] is not None),
                    key=lambda r: (-r["objective"], r["candidate"]))
    winner = ranked[0] if ranked else None
    iterations: dict[str, int] = {}
    for cand in sorted(results):
        fields = {k: v for k, v in results[cand].items() if k not in ("iterations", "candidate", "archived")}
        ctx.sink.emit(CandidateResult(run_id=ctx.run_id, candidate_id=cand, **fields,
                                      archived=winner is not None and cand == winner["candidate"]))
        for role, calls in results[cand].get("iterations", {}).items():
            iterations[role] = iterations.get(role, 0) + calls
    number = winner["revision"] if winner else None
    best = summary_of(ctx, number)
    return {"best": number, "revisions": [best] if best else [], "iterations": iterations,
            "stop_reason": ctx.meter.stop_reason() or "all_agents_done"}


def finish(state: SearchState, runtime: Runtime[SearchContext]) -> dict[str, Any]:
    """Log the search's run_end."""
    search_run_end(runtime.context, state, state.get("stop_reason") or "all_agents_done")
    return {}


def build_best_of_n() -> StateGraph:
    """plan -> N agents at once -> select -> finish."""
    graph = StateGraph(SearchState, context_schema=SearchContext)
    graph.add_node("plan", plan)
    graph.add_node("agent", agent)
    graph.add_node("select", select)
    graph.add_node("finish", finish)
    graph.add_edge(START, "plan")
    graph.add_conditional_edges("plan", fan_out, ["agent", "select"])
    graph.add_edge("agent", "select")
    graph.add_edge("select", "finish")
    graph.add_edge("finish", END)
    return graph
