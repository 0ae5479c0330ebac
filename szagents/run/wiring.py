"""Open one run: its trajectory, workspace, tool context, revisions and the RunContext its nodes get.

`open_run` is the one builder of a run's handles, used alike by graph runs (start, resume),
Studio threads (both through `open_team_run`, which adds the team's models and tools) and
recorded MCP runs (`szagents.external`, whose agent brings its own). `run_start` is the one
run_start event of every kind of run.
"""

from __future__ import annotations

import platform
import shutil
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool
from langgraph.checkpoint.base import BaseCheckpointSaver

from szagents import __version__
from szagents.backends.protocol import Backend
from szagents.backends.registry import configured_backend
from szagents.errors import ToolchainError
from szagents.models.replay import check_replay_task
from szagents.prompts.render import render_template, system_prompt
from szagents.roles.context import RunContext
from szagents.roles.remeasure import files_benchmark
from szagents.run.config import RunConfig
from szagents.run.models import RateWaitLog, build_models, call_policy, preflight
from szagents.tasks.task import Budgets, Task
from szagents.tools.context import ToolContext
from szagents.tools.kernel import evaluate_workspace
from szagents.tools.registry import make_tools
from szagents.trajectory import TrajectoryWriter, open_checkpointer
from szagents.trajectory.events import LlmCall, RunStart
from szagents.trajectory.reader import TRAJECTORY_FILENAME, read_events
from szagents.workspace.layout import task_context
from szagents.workspace.materialize import materialize
from szagents.workspace.revisions import RevisionStore
from szagents.workspace.workspace import Workspace

__all__ = ["OpenedRun", "Tee", "brief", "check_backend", "export_best", "open_run", "open_team_run", "run_start"]


class Tee:
    """An event sink that writes the trajectory and tells an observer (a progress view)."""

    def __init__(self, writer: TrajectoryWriter, observer: Any | None) -> None:
        self.writer, self.observer = writer, observer

    def emit(self, event: Any) -> Any:
        written = self.writer.emit(event)
        if self.observer is not None:
            self.observer(written)
        return written


def check_backend(config: RunConfig, task: Task) -> Backend:
    """The backend config's run uses (its own, else the task's target); ToolchainError when it cannot run here."""
    backend = configured_backend(config.backend or task.target, config.harness_timeout_s)
    state = backend.availability()
    if not state.available:
        raise ToolchainError(f"backend {backend.name!r} cannot run task {task.id} here: {state.reason}. Fix: {state.fix}")
    return backend


def brief(task: Task, role: str) -> str:
    """First user message of a role's conversation."""
    return render_template("brief.md.j2", **task_context(task), role=role)


def export_best(run_dir: Path, state: dict[str, Any]) -> None:
    """Copy the best revision's files to run_dir/best (the run's final answer)."""
    best = state.get("best")
    target = run_dir / "best"
    shutil.rmtree(target, ignore_errors=True)
    if best is not None:
        shutil.copytree(run_dir / "revisions" / f"{best:03d}" / "files", target)


@dataclass(frozen=True)
class OpenedRun:
    """A run's handles, open until the stack that opened them closes."""

    config: RunConfig
    task: Task
    run_dir: Path
    sink: Tee
    workspace: Workspace
    tools: ToolContext
    revisions: RevisionStore
    stack: ExitStack

    @property
    def budgets(self) -> Budgets:
        """The run's budgets: its own, else the task's."""
        return self.config.budgets or self.task.budgets

    def checkpointer(self) -> BaseCheckpointSaver:
        """The run's checkpointer (config.checkpoint; default SQLite in the run folder), closed with the run."""
        return self.stack.enter_context(open_checkpointer(self.config.checkpoint, self.run_dir))

    def context(self, models: dict[str, BaseChatModel], tools: list[BaseTool], **hooks: Any) -> RunContext:
        """The RunContext of the run's nodes with these models and tools; hooks: RunContext's optional fields."""
        config, task, team = self.config, self.task, self.config.team
        kind = "single" if len({r.conversation for r in team.roles.values()}) == 1 else "multi"
        return RunContext(
            run_id=config.run_id, run_dir=self.run_dir, task=task, team=team, tier=config.tier, budgets=self.budgets,
            models=models, tools={t.name: t for t in tools}, sink=self.sink,
            system_prompt=lambda role: system_prompt(kind, "reviewer" if role == "validator" else role, config.tier, task),
            brief=lambda role: brief(task, role),
            evaluate=lambda: evaluate_workspace(self.tools, by="validator", bench=True),
            snapshot=self.workspace.snapshot, revisions=self.revisions,
            restore=lambda number: self.revisions.restore(number, self.workspace), policy=config.policy(), **hooks,
        )


def open_run(config: RunConfig, task: Task, run_dir: Path, stack: ExitStack, *, backend: Backend,
             observer: Any | None = None, role: Callable[[], str] | None = None) -> OpenedRun:
    """Open config's run in run_dir: its trajectory (closed with stack), its workspace, its tools' context.

    observer: told every event as it is written; role: () -> the role acting now (stamps the tools' events).
    """
    writer = stack.enter_context(TrajectoryWriter(run_dir / TRAJECTORY_FILENAME, config.run_id))
    sink = Tee(writer, observer)
    workspace = materialize(task, run_dir)
    tools = ToolContext.for_task(task, workspace, backend, sink=sink, run_id=config.run_id, role=role,
                                 bench_settings=config.bench_settings())
    return OpenedRun(config, task, run_dir, sink, workspace, tools, RevisionStore(run_dir), stack)


def _recorded(run_dir: Path) -> dict[tuple[str, int], dict[str, Any]]:
    """(role, iteration) -> response of every LLM call the run's trajectory already holds."""
    path = run_dir / TRAJECTORY_FILENAME
    if not path.exists():
        return {}
    return {(e.role, e.iteration): e.response for e in read_events(path) if isinstance(e, LlmCall)}


def open_team_run(config: RunConfig, task: Task, run_dir: Path, stack: ExitStack,
                  observer: Any | None = None) -> tuple[OpenedRun, RunContext]:
    """A run played by config's team: the backend checked, the models built and pre-flighted, the run opened,
    the tools (in-process or through MCP) bound to the authors' models."""
    backend = check_backend(config, task)
    waits = RateWaitLog(config.run_id)
    models = build_models(config, on_wait=waits)
    preflight(config, models)
    acting = {"role": "agent"}
    opened = open_run(config, task, run_dir, stack, backend=backend, observer=observer, role=lambda: acting["role"])
    waits.sink = opened.sink
    if config.tools == "mcp":  # the MCP SDK (about 0.5 s of imports) loads only for the runs that use it
        from szagents.mcp.bridge import mcp_tools

        tools = stack.enter_context(mcp_tools(opened.tools, shell=config.shell))
    else:
        tools = make_tools(opened.tools, shell=config.shell)
    for spec in config.team.models().values():
        check_replay_task(spec, task.id)
    bound = {role: model if role == "validator" else model.bind_tools(tools) for role, model in models.items()}
    measure = files_benchmark(opened.tools, run_dir / ".remeasure") if opened.tools.benchmark_problems else None
    return opened, opened.context(bound, tools, on_turn=lambda role: acting.update(role=role),
                                  call_policy=call_policy(config), recorded=_recorded(run_dir), measure=measure)


def run_start(ctx: RunContext, *, resumed: bool = False, budgets: dict[str, Any] | None = None) -> RunStart:
    """The run_start event of ctx's run (budgets: what to record, default the run's)."""
    task = ctx.task
    return RunStart(
        run_id=ctx.run_id, task_id=task.id, kernel=task.kernel.name, mode=task.mode.value, target=task.target,
        variant=task.variant, team=ctx.team.name, tier=ctx.tier, models=ctx.team.models(),
        budgets=budgets if budgets is not None else ctx.budgets.model_dump(), resumed=resumed,
        szagents_version=__version__, host=platform.node(),
    )
