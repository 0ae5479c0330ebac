"""Start or resume one run of a team on its LangGraph graph: open it, log run_start, run the graph to its end."""

from __future__ import annotations

import shutil
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Literal

from langgraph.graph import StateGraph

from szagents.errors import TaskError
from szagents.models.calls import ProviderError
from szagents.roles.context import RunContext
from szagents.roles.graph import build_graph, run_end
from szagents.roles.state import AgentState, initial_state
from szagents.roles.team import first_role
from szagents.run.config import RUN_FILE, RunConfig
from szagents.run.outcome import RunOutcome, load_config
from szagents.run.search import resume_search, start_search
from szagents.run.wiring import OpenedRun, export_best, open_team_run, run_start
from szagents.trajectory import open_checkpointer

__all__ = ["resume_run", "start_run"]


def _drive(opened: OpenedRun, ctx: RunContext, state: AgentState | None, graph: StateGraph | None,
           resumed: bool) -> dict[str, Any]:
    """Log run_start, run the graph to its end; a provider failure logs run_end with its class, then raises."""
    ctx.sink.emit(run_start(ctx, resumed=resumed))
    compiled = (graph or build_graph(_shape(opened.config))).compile(checkpointer=opened.checkpointer())
    limit = 4 * ctx.budgets.iterations + 50  # every node step counts toward LangGraph's recursion limit
    settings = {"configurable": {"thread_id": ctx.run_id}, "recursion_limit": limit}
    try:
        compiled.invoke(state, settings, context=ctx, durability="sync")
    except ProviderError as exc:
        run_end(ctx, dict(compiled.get_state(settings).values), "provider_error", exc.error_class)
        raise
    return dict(compiled.get_state(settings).values)


def start_run(config: RunConfig, observer: Any | None = None, graph: StateGraph | None = None) -> RunOutcome:
    """Run config's task with its team (on graph, default: the team's standard graph) from the start.

    A start that fails before the graph runs (unknown task, no backend, missing key, failed
    pre-flight) leaves no run folder. A config naming a strategy runs that search (run/search.py).
    """
    if config.strategy is not None:
        return start_search(config, observer)
    config = config.model_copy(update={"run_id": config.resolved_run_id()})
    run_dir = Path(config.runs_dir) / config.run_id
    if run_dir.exists():
        raise TaskError(f"run folder {run_dir} already exists; use `szagents resume {run_dir}` or another --run-id")
    task = config.resolved_task()
    with ExitStack() as stack:
        run_dir.mkdir(parents=True)
        try:
            (run_dir / RUN_FILE).write_text(config.model_dump_json(indent=2))
            opened, ctx = open_team_run(config, task, run_dir, stack, observer)
        except BaseException:
            stack.close()
            shutil.rmtree(run_dir, ignore_errors=True)
            raise
        state = _drive(opened, ctx, initial_state(config.run_id, first_role(task)), graph, resumed=False)
    export_best(run_dir, state)
    return RunOutcome(run_dir, config.run_id, state)


def _shape(config: RunConfig) -> Literal["single", "multi"]:
    """The graph the run's team plays: one agent node, or a node per role."""
    return "single" if config.team.name == "single" else "multi"


def _checkpointed(config: RunConfig, run_dir: Path) -> tuple[dict[str, Any], bool]:
    """(state values, finished) of the run's last checkpoint, read through the run's own graph shape
    (a team's next node, e.g. 'optimizer', is no node of the single graph: it would look finished)."""
    with open_checkpointer(config.checkpoint, run_dir) as saver:
        snapshot = build_graph(_shape(config)).compile(checkpointer=saver).get_state({"configurable": {"thread_id": config.run_id}})
    # a step whose node finished (its writes saved) before the step's checkpoint shows in tasks, not in next
    return dict(snapshot.values), bool(snapshot.values) and not snapshot.next and not snapshot.tasks


def resume_run(run_dir: Path, observer: Any | None = None, graph: StateGraph | None = None,
               changes: dict[str, Any] | None = None) -> RunOutcome:
    """Continue an interrupted run from its last checkpoint (a finished run just reports).

    changes: RunConfig fields that may differ on resume (base_url, budgets, api, timeouts).
    A run started on a custom graph must be resumed with the same graph.
    """
    run_dir = Path(run_dir)
    config = load_config(run_dir, changes)
    if config.strategy is not None:
        return resume_search(run_dir, observer)
    values, finished = _checkpointed(config, run_dir)
    if finished:
        return RunOutcome(run_dir, config.run_id, values, already_finished=True)
    task = config.resolved_task()
    with ExitStack() as stack:
        opened, ctx = open_team_run(config, task, run_dir, stack, observer)
        start = None if values else initial_state(config.run_id, first_role(task))
        state = _drive(opened, ctx, start, graph, resumed=True)
    export_best(run_dir, state)
    return RunOutcome(run_dir, config.run_id, state)
