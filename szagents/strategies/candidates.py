"""A candidate's own RunContext: its workspace, tools and models, over the search's shared sink, store and budget."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from szagents.errors import InputError
from szagents.prompts.render import render_template, system_prompt
from szagents.roles.context import RunContext
from szagents.roles.remeasure import files_benchmark
from szagents.roles.team import Team
from szagents.strategies.context import CandidateSink, SearchContext
from szagents.tools.context import ToolContext
from szagents.tools.kernel import evaluate_workspace
from szagents.tools.registry import make_tools
from szagents.workspace.layout import task_context
from szagents.workspace.materialize import materialize

__all__ = ["candidate_dir", "candidate_tools", "agent_context", "team_shape"]


def candidate_dir(ctx: SearchContext, candidate: str) -> Path:
    """The folder of a candidate's workspace and scratch files."""
    return ctx.run_dir / "candidates" / candidate


def team_shape(team: Team) -> str:
    """'single' when every role speaks in one conversation, else 'multi'."""
    return "single" if len({r.conversation for r in team.roles.values()}) == 1 else "multi"


def candidate_tools(ctx: SearchContext, candidate: str) -> tuple[ToolContext, CandidateSink, Any]:
    """(tool context, stamped sink, workspace) of a candidate, its workspace laid out from the task."""
    if ctx.tools_kind != "inprocess":
        raise InputError("search strategies run their agents' tools in-process; drop --tools mcp for best-of-n/evolve")
    sink = CandidateSink(ctx.sink, candidate)
    workspace = materialize(ctx.task, candidate_dir(ctx, candidate))
    return replace(ctx.tools_template, workspace=workspace, sink=sink), sink, workspace


def agent_context(ctx: SearchContext, candidate: str) -> RunContext:
    """The RunContext of one best-of-n agent: the team's roles over the candidate's workspace, metered calls."""
    tool_ctx, sink, workspace = candidate_tools(ctx, candidate)
    acting = {"role": "agent"}
    tool_ctx.role = lambda: acting["role"]
    tools = make_tools(tool_ctx, shell=ctx.shell)
    models = {role: ctx.make_model(role, candidate, 0) for role in ctx.team.models()}
    bound = {role: m if role == "validator" else m.bind_tools(tools) for role, m in models.items()}
    shape, task = team_shape(ctx.team), ctx.task
    return RunContext(
        run_id=ctx.run_id, run_dir=ctx.run_dir, task=task, team=ctx.team, tier=ctx.tier, budgets=ctx.budgets,
        models=bound, tools={t.name: t for t in tools}, sink=sink,
        system_prompt=lambda role: system_prompt(shape, "reviewer" if role == "validator" else role, ctx.tier, task),
        brief=lambda role: render_template("brief.md.j2", **task_context(task), role=role),
        evaluate=lambda: evaluate_workspace(tool_ctx, by="validator", bench=True),
        snapshot=workspace.snapshot, revisions=ctx.revisions,
        restore=lambda number: ctx.revisions.restore(number, workspace),
        on_turn=lambda role: acting.update(role=role), policy=ctx.policy, call_policy=ctx.call_policy,
        recorded=ctx.recorded_for(candidate), meter=ctx.meter,
        measure=files_benchmark(tool_ctx, candidate_dir(ctx, candidate) / ".remeasure") if tool_ctx.benchmark_problems else None,
    )
