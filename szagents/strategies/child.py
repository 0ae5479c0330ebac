"""One evolve child: its prompt (parent and inspirations), one metered model call, its edits, the cascade."""

from __future__ import annotations

import time
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage

from szagents.prompts.render import TIERS, render_template
from szagents.roles.budget import BudgetSpent
from szagents.roles.context import RunContext
from szagents.roles.floor import start_ratios
from szagents.roles.llm import call_model
from szagents.roles.team import RoleSpec, Team
from szagents.strategies.cascade import evaluate_program
from szagents.strategies.context import CandidateSink, SearchContext
from szagents.strategies.database import ProgramDatabase
from szagents.strategies.edits import EditError, apply_reply
from szagents.tasks.integrity import floors
from szagents.workspace.layout import target_files, task_context

__all__ = ["MUTATOR", "child_messages", "run_child", "program_files", "search_floors"]

MUTATOR = "mutator"


def program_files(ctx: SearchContext, database: ProgramDatabase, pid: str) -> dict[str, bytes]:
    """The files of a program of the database (the starting code's for 'seed' without a revision)."""
    program = database.programs.get(pid)
    if program is None or program.revision is None:
        return dict(ctx.start_files)
    return ctx.revisions.files(program.revision)


def _shown(ctx: SearchContext, database: ProgramDatabase, pid: str, label: str) -> dict[str, Any]:
    program = database.programs.get(pid)
    files = program_files(ctx, database, pid)
    targets = [t for t in target_files(ctx.task) if t in files] or sorted(files)
    if program is None or not program.correct:
        measured = "not correct yet" if pid != "seed" else "the starting code"
    elif program.objective is not None:
        measured = f"{ctx.task.integrity.objective.value} {program.objective:.3f}, ratio {program.features.get('ratio', 0):.2f}"
    else:
        measured = f"screened: {ctx.task.integrity.objective.value} about {program.fitness:.3f}"
    return {"label": label, "measured": measured,
            "files": {t: files[t].decode("utf-8", errors="replace") for t in targets}}


def child_messages(ctx: SearchContext, database: ProgramDatabase, entry: dict[str, Any]) -> list[Any]:
    """System prompt and the user message showing the parent and the inspirations."""
    diff = entry["edit"] == "diff"
    system = render_template("roles/mutator.md.j2", **task_context(ctx.task), role="optimizer", tier=ctx.tier,
                             tier_level=TIERS.index(ctx.tier), diff=diff)
    parent = _shown(ctx, database, entry["parent"], f"program {entry['parent']}")
    others = [_shown(ctx, database, p, f"program {p}") for p in entry["inspirations"]]
    user = render_template("evolve_child.md.j2", parent=parent, inspirations=others, diff=diff,
                           objective=ctx.task.integrity.objective.value)
    return [SystemMessage(system), HumanMessage(user)]


def _call_context(ctx: SearchContext, candidate: str, ordinal: int) -> RunContext:
    """A RunContext just wide enough for roles.llm.call_model: the mutator's model, log, budget and recordings."""
    spec = ctx.mutator_spec
    team = Team(name="evolve", roles={MUTATOR: RoleSpec(model=spec, conversation=candidate)})
    unused = lambda *_: None  # noqa: E731 - a child has no workspace tools
    return RunContext(
        run_id=ctx.run_id, run_dir=ctx.run_dir, task=ctx.task, team=team, tier=ctx.tier, budgets=ctx.budgets,
        models={MUTATOR: ctx.make_model(MUTATOR, candidate, ordinal)}, tools={}, sink=CandidateSink(ctx.sink, candidate),
        system_prompt=unused, brief=unused, evaluate=unused, snapshot=unused, revisions=ctx.revisions, restore=unused,
        call_policy=ctx.call_policy, recorded=ctx.recorded_for(candidate), meter=ctx.meter)


def search_floors(ctx: SearchContext, database: ProgramDatabase) -> dict[str, float]:
    """The ratio floor of every case: a share of the starting code's ratios (the reference's for translations)."""
    seed = database.programs.get("seed")
    baseline = [{"role": "baseline", "number": seed.revision, "correct": seed.correct}] if seed and seed.revision else []
    return floors(ctx.task.integrity, start_ratios(ctx, {"revisions": baseline}))


def run_child(ctx: SearchContext, database: ProgramDatabase, entry: dict[str, Any]) -> dict[str, Any]:
    """Ask the mutator for the child, apply its edits, run the cascade; the CandidateResult fields."""
    candidate, began = entry["candidate"], time.perf_counter()
    base = {"candidate": candidate, "correct": False, "features": {}}
    call_ctx = _call_context(ctx, candidate, entry["ordinal"])
    try:
        reply = call_model(call_ctx, MUTATOR, child_messages(ctx, database, entry), 1, ctx.meter.deadline())
    except BudgetSpent as spent:
        return {**base, "stage": "none", "verdict": spent.reason, "seconds": time.perf_counter() - began}
    if reply is None:
        return {**base, "stage": "none", "verdict": "budget_wall", "seconds": time.perf_counter() - began}
    text = reply.content if isinstance(reply.content, str) else str(reply.content)
    parent_files = program_files(ctx, database, entry["parent"])
    try:
        files = apply_reply(text, parent_files, target_files(ctx.task)[0], diff=entry["edit"] == "diff")
    except EditError as exc:
        return {**base, "stage": "edit", "verdict": "edit_error", "detail": str(exc)[:300],
                "seconds": time.perf_counter() - began}
    action = next((ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith(("<<<", "```"))),
                  "(no summary)")
    margin = ctx.strategy.cascade.screen_margin
    config = ctx.strategy.evolve
    parent = database.programs.get(entry["parent"])
    fitness = evaluate_program(
        ctx, candidate, files, action=action, floors=search_floors(ctx, database),
        could_enter=lambda features, estimate: database.could_enter(features, estimate, config, margin),
        parent_revision=parent.revision if parent else None)
    return {**base, "stage": fitness.stage, "verdict": fitness.verdict, "correct": fitness.correct,
            "revision": fitness.revision, "objective": fitness.objective, "screen_objective": fitness.screen_objective,
            "ratio": fitness.ratio, "features": fitness.features, "detail": fitness.detail[:300],
            "seconds": time.perf_counter() - began}
