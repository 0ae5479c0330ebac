"""evolve: a population in a program database (islands + archive); each child one reply, the validator its fitness.

Graph: seed (measure the starting code) -> plan (draw this generation's parents and inspirations, log
them) -> children at once (Send) -> integrate (into the database, migration on schedule) -> plan ...
-> finish. A plan is logged and checkpointed before any child calls a model, so a search killed
mid-generation resumes the unfinished children with the same parents, and their recorded replies
are reused. A replay (`replay:<run>`) follows the recorded lineage: same parents, same replies.
"""

from __future__ import annotations

import random
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import Send

from szagents.strategies.cascade import evaluate_program
from szagents.strategies.child import run_child
from szagents.strategies.context import SearchContext
from szagents.strategies.database import Draw, Program, ProgramDatabase
from szagents.strategies.state import SearchState, search_run_end, summary_of
from szagents.trajectory.search_events import CandidateEvent, CandidateResult, MigrationEvent
from szagents.workspace.layout import target_files

__all__ = ["build_evolve", "child_id"]


def child_id(generation: int, slot: int) -> str:
    """The id of a generation's child in a slot: g001c0, g001c1, ..."""
    return f"g{generation:03d}c{slot}"


def _result_event(ctx: SearchContext, fields: dict[str, Any], archived: bool) -> None:
    rest = {k: v for k, v in fields.items() if k != "candidate"}
    ctx.sink.emit(CandidateResult(run_id=ctx.run_id, candidate_id=fields["candidate"], archived=archived, **rest))


def seed(state: SearchState, runtime: Runtime[SearchContext]) -> dict[str, Any]:
    """Measure the starting code (fully) as program 'seed' on every island."""
    ctx = runtime.context
    if state.get("database"):
        return {}
    if "seed" not in ctx.logged:
        ctx.sink.emit(CandidateEvent(run_id=ctx.run_id, candidate_id="seed", strategy="evolve", generation=0, edit="start"))
    files = dict(ctx.start_files)
    fields: dict[str, Any] = {"candidate": "seed", "correct": False, "features": {}}
    if all(t in files for t in target_files(ctx.task)):  # a translation starts with no target file: nothing to run
        fit = evaluate_program(ctx, "seed", files, action="Baseline", floors=None, could_enter=None, role="baseline")
        fields.update(stage=fit.stage, verdict=fit.verdict, correct=fit.correct, revision=fit.revision,
                      objective=fit.objective, ratio=fit.ratio, features=fit.features)
    else:
        fields.update(stage="none", verdict="no_target_file")
    program = Program(id="seed", revision=fields.get("revision"), correct=fields["correct"],
                      objective=fields.get("objective"), features=fields["features"])
    database = ProgramDatabase.seeded(program, ctx.strategy.evolve)
    _result_event(ctx, fields, archived="seed" in database.archive.values())
    best = program.revision if program.correct and program.objective is not None else None
    return {"database": database.model_dump(), "generation": 1, "planned": [], "best": best}


def _draw(ctx: SearchContext, database: ProgramDatabase, generation: int, slot: int) -> tuple[Draw, str]:
    """This child's parent, inspirations and edit kind: as recorded (resume, replay), else drawn."""
    config, cid = ctx.strategy.evolve, child_id(generation, slot)
    recorded = ctx.lineage.get(cid)
    if recorded is not None:
        return Draw(island=recorded.island or 0, parent=recorded.parent or "seed",
                    inspirations=list(recorded.inspirations)), recorded.edit
    rng = random.Random(f"{ctx.strategy.seed}:{generation}:{slot}")
    draw = database.draw((generation * config.generation_size + slot) % config.islands, rng, config)
    full = not config.diff_based or rng.random() < config.full_rewrite_probability
    return draw, "full" if full else "diff"


def plan(state: SearchState, runtime: Runtime[SearchContext]) -> dict[str, Any]:
    """Draw and log this generation's children (at most the calls the budget has left)."""
    ctx, generation = runtime.context, state["generation"]
    reason = ctx.meter.stop_reason()
    if reason:
        return {"stop_reason": reason}
    config = ctx.strategy.evolve
    database = ProgramDatabase.model_validate(state["database"])
    left = ctx.budgets.iterations - ctx.meter.totals()["calls"]
    planned = []
    for slot in range(min(config.generation_size, left)):
        draw, edit = _draw(ctx, database, generation, slot)
        cid = child_id(generation, slot)
        if cid not in ctx.logged:
            ctx.sink.emit(CandidateEvent(run_id=ctx.run_id, candidate_id=cid, strategy="evolve", generation=generation,
                                         island=draw.island, parent=draw.parent, inspirations=draw.inspirations, edit=edit))
        planned.append({"candidate": cid, "parent": draw.parent, "inspirations": draw.inspirations,
                        "island": draw.island, "edit": edit, "ordinal": (generation - 1) * config.generation_size + slot})
    return {"planned": planned}


def after_plan(state: SearchState) -> list[Send] | str:
    """Finish on a stop; else one task per child without a result (a resumed generation runs only those)."""
    if state.get("stop_reason"):
        return "finish"
    todo = [p for p in state.get("planned", []) if p["candidate"] not in state.get("results", {})]
    return [Send("child", {**p, "database": state["database"]}) for p in todo] or "integrate"


def child(entry: dict[str, Any], runtime: Runtime[SearchContext]) -> dict[str, Any]:
    """One child, from its reply to its fitness."""
    database = ProgramDatabase.model_validate(entry["database"])
    fields = run_child(runtime.context, database, {k: v for k, v in entry.items() if k != "database"})
    return {"results": {entry["candidate"]: fields}}


def integrate(state: SearchState, runtime: Runtime[SearchContext]) -> dict[str, Any]:
    """Add the generation's children to the database in slot order, log them, migrate on schedule."""
    ctx, generation, config = runtime.context, state["generation"], runtime.context.strategy.evolve
    database = ProgramDatabase.model_validate(state["database"])
    verdicts = []
    for entry in state.get("planned", []):
        fields = state["results"][entry["candidate"]]
        verdicts.append(fields["verdict"])
        program = Program(id=entry["candidate"], parent=entry["parent"], island=entry["island"], generation=generation,
                          revision=fields.get("revision"), correct=fields["correct"], objective=fields.get("objective"),
                          screen_objective=fields.get("screen_objective"), features=fields.get("features", {}))
        _result_event(ctx, fields, archived=database.add(program, config))
    if generation % config.migration_interval == 0:  # logged on schedule, even when every best was already there
        ctx.sink.emit(MigrationEvent(run_id=ctx.run_id, generation=generation, moves=database.migrate(config)))
    best = database.best()
    spent = next((v for v in verdicts if v.startswith("budget_")), None)
    stop = ctx.meter.stop_reason() or (spent if verdicts and all(v.startswith("budget_") for v in verdicts) else None)
    return {"database": database.model_dump(), "generation": generation + 1, "planned": [],
            "best": best.revision if best else state.get("best"), "stop_reason": stop or (None if verdicts else "budget_iterations")}


def after_integrate(state: SearchState) -> str:
    return "finish" if state.get("stop_reason") else "plan"


def finish(state: SearchState, runtime: Runtime[SearchContext]) -> dict[str, Any]:
    """Log the search's run_end with its best program's revision."""
    ctx = runtime.context
    best = summary_of(ctx, state.get("best"))
    iterations = {"mutator": ctx.meter.totals()["calls"]}
    final = {**state, "iterations": iterations}
    search_run_end(ctx, final, state.get("stop_reason") or "budget_iterations")
    return {"revisions": [best] if best else [], "iterations": iterations}


def build_evolve() -> StateGraph:
    """seed -> (plan -> children -> integrate)* -> finish."""
    graph = StateGraph(SearchState, context_schema=SearchContext)
    for name, node in (("seed", seed), ("plan", plan), ("child", child), ("integrate", integrate), ("finish", finish)):
        graph.add_node(name, node)
    graph.add_edge(START, "seed")
    graph.add_edge("seed", "plan")
    graph.add_conditional_edges("plan", after_plan, ["child", "integrate", "finish"])
    graph.add_edge("child", "integrate")
    graph.add_conditional_edges("integrate", after_integrate, ["plan", "finish"])
    graph.add_edge("finish", END)
    return graph
