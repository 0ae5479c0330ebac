"""Start or resume one agent run: materialise the task, wire the context, run the graph."""

from __future__ import annotations

import platform
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langgraph.graph import StateGraph

from szagents import __version__
from szagents.backends.registry import get_backend
from szagents.errors import TaskError, ToolchainError
from szagents.mcp.bridge import mcp_tools
from szagents.models import make_model
from szagents.prompts.render import render_template, system_prompt
from szagents.roles.context import EventSink, RunContext
from szagents.roles.graph import build_graph
from szagents.roles.state import AgentState, initial_state
from szagents.sweep.config import RUN_FILE, RunConfig
from szagents.tasks.catalog import get_task
from szagents.tasks.task import Mode, Task
from szagents.tools.context import ToolContext
from szagents.tools.kernel import evaluate_workspace
from szagents.tools.registry import make_tools
from szagents.trajectory import TrajectoryWriter, open_checkpointer
from szagents.trajectory.events import RunStart
from szagents.workspace.layout import task_context
from szagents.workspace.materialize import materialize
from szagents.workspace.revisions import RevisionStore

__all__ = ["RunOutcome", "start_run", "resume_run"]


@dataclass(frozen=True)
class RunOutcome:
    """Where a run lives and the state it ended in."""

    run_dir: Path
    run_id: str
    state: dict[str, Any]

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
    backend = get_backend(config.backend or task.target)
    state = backend.availability()
    if not state.available:
        raise ToolchainError(f"backend {backend.name!r} cannot run task {task.id} here: {state.reason}. Fix: {state.fix}")
    return backend


def _brief(task: Task, role: str) -> str:
    """First user message of a role's conversation."""
    return render_template("brief.md.j2", **task_context(task), role=role)


def _context(config: RunConfig, task: Task, run_dir: Path, run_id: str, sink: EventSink, stack: ExitStack) -> RunContext:
    """Wire the run-scoped handles: workspace, tools, models, revisions."""
    workspace = materialize(task, run_dir)
    acting = {"role": "agent"}
    tool_ctx = ToolContext.for_task(task, workspace, _backend(config, task), sink=sink, run_id=run_id,
                                    role=lambda: acting["role"], bench_settings=config.bench_settings())
    tools = (stack.enter_context(mcp_tools(tool_ctx, shell=config.shell)) if config.tools == "mcp"
             else make_tools(tool_ctx, shell=config.shell))
    models = {}
    for role, spec in config.team.models().items():
        model = make_model(spec, base_url=config.base_url) if spec.startswith("openai:") else make_model(spec)
        models[role] = model if role == "validator" else model.bind_tools(tools)
    revisions = RevisionStore(run_dir)
    team_kind = "single" if len({r.conversation for r in config.team.roles.values()}) == 1 else "multi"
    return RunContext(
        run_id=run_id, run_dir=run_dir, task=task, team=config.team, tier=config.tier,
        budgets=config.budgets or task.budgets, models=models, tools={t.name: t for t in tools}, sink=sink,
        system_prompt=lambda role: system_prompt(team_kind, "reviewer" if role == "validator" else role, config.tier, task),
        brief=lambda role: _brief(task, role),
        evaluate=lambda: evaluate_workspace(tool_ctx, by="validator", bench=True),
        snapshot=workspace.snapshot, revisions=revisions,
        restore=lambda number: revisions.restore(number, workspace),
        policy=config.policy(), on_turn=lambda role: acting.update(role=role),
    )


@contextmanager
def _opened(config: RunConfig, run_dir: Path, run_id: str, observer: Any | None, resumed: bool) -> Iterator[RunContext]:
    task = get_task(config.task)
    with TrajectoryWriter(run_dir / "trajectory.jsonl", run_id) as writer, ExitStack() as stack:
        sink = _Tee(writer, observer)
        ctx = _context(config, task, run_dir, run_id, sink, stack)
        sink.emit(RunStart(
            run_id=run_id, task_id=task.id, kernel=task.kernel.name, mode=task.mode.value, target=task.target,
            variant=task.variant, team=config.team.name, tier=config.tier, models=config.team.models(),
            budgets=ctx.budgets.model_dump(), resumed=resumed, szagents_version=__version__, host=platform.node(),
        ))
        yield ctx


def _invoke(ctx: RunContext, config: RunConfig, run_dir: Path, state: AgentState | None,
            graph: StateGraph | None) -> dict[str, Any]:
    shape = "single" if config.team.name == "single" else "multi"
    with open_checkpointer(config.checkpoint, run_dir) as saver:
        graph = (graph or build_graph(shape)).compile(checkpointer=saver)
        limit = 4 * ctx.budgets.iterations + 50  # every node step counts toward LangGraph's recursion limit
        settings = {"configurable": {"thread_id": ctx.run_id}, "recursion_limit": limit}
        graph.invoke(state, settings, context=ctx, durability="sync")
        return dict(graph.get_state(settings).values)


def _export_best(run_dir: Path, state: dict[str, Any]) -> None:
    """Copy the best revision's files to run_dir/best (the run's final answer)."""
    best = state.get("best")
    target = run_dir / "best"
    shutil.rmtree(target, ignore_errors=True)
    if best is not None:
        shutil.copytree(run_dir / "revisions" / f"{best:03d}" / "files", target)


def start_run(config: RunConfig, observer: Any | None = None, graph: StateGraph | None = None) -> RunOutcome:
    """Run config's task with its team (on graph, default: the team's standard graph) from the start."""
    run_id = config.resolved_run_id()
    run_dir = Path(config.runs_dir) / run_id
    if run_dir.exists():
        raise TaskError(f"run folder {run_dir} already exists; use `szagents resume {run_dir}` or another --run-id")
    run_dir.mkdir(parents=True)
    config = config.model_copy(update={"run_id": run_id})
    (run_dir / RUN_FILE).write_text(config.model_dump_json(indent=2))
    task = get_task(config.task)
    first = "translator" if task.mode is Mode.translate else "optimizer"
    with _opened(config, run_dir, run_id, observer, resumed=False) as ctx:
        state = _invoke(ctx, config, run_dir, initial_state(run_id, first), graph)
    _export_best(run_dir, state)
    return RunOutcome(run_dir, run_id, state)


def _checkpointed(config: RunConfig, run_dir: Path) -> tuple[dict[str, Any], bool]:
    """(state values, finished) of the run's last checkpoint."""
    with open_checkpointer(config.checkpoint, run_dir) as saver:
        snapshot = build_graph().compile(checkpointer=saver).get_state({"configurable": {"thread_id": config.run_id}})
    return dict(snapshot.values), bool(snapshot.values) and not snapshot.next


def resume_run(run_dir: Path, observer: Any | None = None, graph: StateGraph | None = None) -> RunOutcome:
    """Continue an interrupted run from its last checkpoint (a finished run just reports).

    A run started on a custom graph must be resumed with the same graph.
    """
    path = Path(run_dir) / RUN_FILE
    if not path.exists():
        raise TaskError(f"{run_dir} is not a run folder (no {RUN_FILE}); pass the folder `szagents run` created")
    config = RunConfig.model_validate_json(path.read_text())
    values, finished = _checkpointed(config, Path(run_dir))
    if finished:
        return RunOutcome(Path(run_dir), config.run_id, values)
    with _opened(config, Path(run_dir), config.run_id, observer, resumed=True) as ctx:
        state = _invoke(ctx, config, Path(run_dir), None, graph)
    _export_best(Path(run_dir), state)
    return RunOutcome(Path(run_dir), config.run_id, state)
