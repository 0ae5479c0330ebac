"""Start or resume one agent run: materialise the task, wire the context, run the graph."""

from __future__ import annotations

import platform
import shutil
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langgraph.graph import StateGraph

from szagents import __version__
from szagents.backends.registry import configured_backend
from szagents.errors import TaskError, ToolchainError
from szagents.models.calls import ProviderError
from szagents.models.replay import check_replay_task
from szagents.mcp.bridge import mcp_tools
from szagents.prompts.render import render_template, system_prompt
from szagents.roles.context import EventSink, RunContext
from szagents.roles.graph import build_graph, run_end
from szagents.roles.remeasure import files_benchmark
from szagents.roles.state import AgentState, initial_state
from szagents.sweep.config import RUN_FILE, RunConfig
from szagents.sweep.run_models import RateWaitLog, build_models, call_policy, preflight
from szagents.tasks.catalog import get_task
from szagents.tasks.task import Mode, Task
from szagents.tools.context import ToolContext
from szagents.tools.kernel import evaluate_workspace
from szagents.tools.registry import make_tools
from szagents.trajectory import TrajectoryWriter, open_checkpointer
from szagents.trajectory.events import LlmCall, RunStart
from szagents.trajectory.reader import TRAJECTORY_FILENAME, read_events
from szagents.workspace.layout import task_context
from szagents.workspace.materialize import materialize
from szagents.workspace.revisions import RevisionStore

__all__ = ["RunOutcome", "configured_backend", "load_config", "resume_run", "start_run"]


@dataclass(frozen=True)
class RunOutcome:
    """Where a run lives and the state it ended in."""

    run_dir: Path
    run_id: str
    state: dict[str, Any]
    already_finished: bool = False  # resume found the run finished and did nothing

    @property
    def best(self) -> dict[str, Any] | None:
        """Summary of the best correct revision, if any."""
        return next((r for r in self.state.get("revisions", []) if r["number"] == self.state.get("best")), None)


class _Tee:
    """An event sink that writes the trajectory and tells an observer (a progress view)."""

    def __init__(self, writer: TrajectoryWriter, observer: Any | None) -> None:
        self.writer, self.observer = writer, observer

    def emit(self, event: Any) -> Any:
        written = self.writer.emit(event)
        if self.observer is not None:
            self.observer(written)
        return written


def _backend(config: RunConfig, task: Task):  # noqa: ANN202 - a Backend
    backend = configured_backend(config.backend or task.target, config.harness_timeout_s)
    state = backend.availability()
    if not state.available:
        raise ToolchainError(f"backend {backend.name!r} cannot run task {task.id} here: {state.reason}. Fix: {state.fix}")
    return backend


def _brief(task: Task, role: str) -> str:
    """First user message of a role's conversation."""
    return render_template("brief.md.j2", **task_context(task), role=role)


def _recorded(run_dir: Path) -> dict[tuple[str, int], dict[str, Any]]:
    """(role, iteration) -> response of every LLM call the run's trajectory already holds."""
    path = run_dir / TRAJECTORY_FILENAME
    if not path.exists():
        return {}
    return {(e.role, e.iteration): e.response for e in read_events(path) if isinstance(e, LlmCall)}


def _context(config: RunConfig, task: Task, run_dir: Path, sink: EventSink, backend: Any,
             models: dict[str, BaseChatModel], stack: ExitStack) -> RunContext:
    """Wire the run-scoped handles: workspace, tools, models (tools bound to the authors'), revisions."""
    run_id = config.run_id
    workspace = materialize(task, run_dir)
    acting = {"role": "agent"}
    tool_ctx = ToolContext.for_task(task, workspace, backend, sink=sink, run_id=run_id,
                                    role=lambda: acting["role"], bench_settings=config.bench_settings())
    tools = (stack.enter_context(mcp_tools(tool_ctx, shell=config.shell)) if config.tools == "mcp"
             else make_tools(tool_ctx, shell=config.shell))
    for spec in config.team.models().values():
        check_replay_task(spec, task.id)
    bound = {role: model if role == "validator" else model.bind_tools(tools) for role, model in models.items()}
    revisions = RevisionStore(run_dir)
    team_kind = "single" if len({r.conversation for r in config.team.roles.values()}) == 1 else "multi"
    return RunContext(
        run_id=run_id, run_dir=run_dir, task=task, team=config.team, tier=config.tier,
        budgets=config.budgets or task.budgets, models=bound, tools={t.name: t for t in tools}, sink=sink,
        system_prompt=lambda role: system_prompt(team_kind, "reviewer" if role == "validator" else role, config.tier, task),
        brief=lambda role: _brief(task, role),
        evaluate=lambda: evaluate_workspace(tool_ctx, by="validator", bench=True),
        snapshot=workspace.snapshot, revisions=revisions,
        restore=lambda number: revisions.restore(number, workspace),
        policy=config.policy(), on_turn=lambda role: acting.update(role=role), call_policy=call_policy(config),
        recorded=_recorded(run_dir),
        measure=files_benchmark(tool_ctx, run_dir / ".remeasure") if tool_ctx.benchmark_problems else None,
    )


def _opened(config: RunConfig, task: Task, run_dir: Path, observer: Any | None, stack: ExitStack) -> RunContext:
    """The run's context with its trajectory writer open (closed with stack); models built and checked."""
    backend = _backend(config, task)
    waits = RateWaitLog(config.run_id)
    models = build_models(config, on_wait=waits)
    preflight(config, models)
    writer = stack.enter_context(TrajectoryWriter(run_dir / TRAJECTORY_FILENAME, config.run_id))
    waits.sink = _Tee(writer, observer)
    return _context(config, task, run_dir, waits.sink, backend, models, stack)


def log_start(ctx: RunContext, config: RunConfig, resumed: bool) -> None:
    """The run_start event of a run (or of its resumption)."""
    task = ctx.task
    ctx.sink.emit(RunStart(
        run_id=ctx.run_id, task_id=task.id, kernel=task.kernel.name, mode=task.mode.value, target=task.target,
        variant=task.variant, team=config.team.name, tier=config.tier, models=config.team.models(),
        budgets=ctx.budgets.model_dump(), resumed=resumed, szagents_version=__version__, host=platform.node(),
    ))


def _drive(ctx: RunContext, config: RunConfig, state: AgentState | None, graph: StateGraph | None,
           resumed: bool) -> dict[str, Any]:
    """Log run_start, run the graph to its end; a provider failure logs run_end with its class, then raises."""
    log_start(ctx, config, resumed)
    with open_checkpointer(config.checkpoint, ctx.run_dir) as saver:
        compiled = (graph or build_graph(_shape(config))).compile(checkpointer=saver)
        limit = 4 * ctx.budgets.iterations + 50  # every node step counts toward LangGraph's recursion limit
        settings = {"configurable": {"thread_id": ctx.run_id}, "recursion_limit": limit}
        try:
            compiled.invoke(state, settings, context=ctx, durability="sync")
        except ProviderError as exc:
            run_end(ctx, dict(compiled.get_state(settings).values), "provider_error", exc.error_class)
            raise
        return dict(compiled.get_state(settings).values)


def _export_best(run_dir: Path, state: dict[str, Any]) -> None:
    """Copy the best revision's files to run_dir/best (the run's final answer)."""
    best = state.get("best")
    target = run_dir / "best"
    shutil.rmtree(target, ignore_errors=True)
    if best is not None:
        shutil.copytree(run_dir / "revisions" / f"{best:03d}" / "files", target)


def _first_role(task: Task) -> str:
    return "translator" if task.mode is Mode.translate else "optimizer"


def start_run(config: RunConfig, observer: Any | None = None, graph: StateGraph | None = None) -> RunOutcome:
    """Run config's task with its team (on graph, default: the team's standard graph) from the start.

    A start that fails before the graph runs (unknown task, no backend, missing key, failed
    pre-flight) leaves no run folder.
    """
    config = config.model_copy(update={"run_id": config.resolved_run_id()})
    run_dir = Path(config.runs_dir) / config.run_id
    if run_dir.exists():
        raise TaskError(f"run folder {run_dir} already exists; use `szagents resume {run_dir}` or another --run-id")
    task = get_task(config.task)
    with ExitStack() as stack:
        run_dir.mkdir(parents=True)
        try:
            (run_dir / RUN_FILE).write_text(config.model_dump_json(indent=2))
            ctx = _opened(config, task, run_dir, observer, stack)
        except BaseException:
            stack.close()
            shutil.rmtree(run_dir, ignore_errors=True)
            raise
        state = _drive(ctx, config, initial_state(config.run_id, _first_role(task)), graph, resumed=False)
    _export_best(run_dir, state)
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


def load_config(run_dir: Path, changes: dict[str, Any] | None = None) -> RunConfig:
    """The run.json of run_dir, with changes (base_url, budgets, api, timeouts) applied and saved."""
    path = Path(run_dir) / RUN_FILE
    if not path.exists():
        raise TaskError(f"{run_dir} is not a run folder (no {RUN_FILE}); pass the folder `szagents run` created")
    config = RunConfig.model_validate_json(path.read_text())
    if changes:
        config = RunConfig.model_validate({**config.model_dump(), **changes})
        path.write_text(config.model_dump_json(indent=2))
    return config


def resume_run(run_dir: Path, observer: Any | None = None, graph: StateGraph | None = None,
               changes: dict[str, Any] | None = None) -> RunOutcome:
    """Continue an interrupted run from its last checkpoint (a finished run just reports).

    changes: RunConfig fields that may differ on resume (base_url, budgets, api, timeouts).
    A run started on a custom graph must be resumed with the same graph.
    """
    run_dir = Path(run_dir)
    config = load_config(run_dir, changes)
    values, finished = _checkpointed(config, run_dir)
    if finished:
        return RunOutcome(run_dir, config.run_id, values, already_finished=True)
    task = get_task(config.task)
    with ExitStack() as stack:
        ctx = _opened(config, task, run_dir, observer, stack)
        start = None if values else initial_state(config.run_id, _first_role(task))
        state = _drive(ctx, config, start, graph, resumed=True)
    _export_best(run_dir, state)
    return RunOutcome(run_dir, config.run_id, state)
