"""The shipped graphs for LangGraph Studio and the LangGraph SDK: a small context (task, model, tier)
from which each thread's RunContext (workspace, backend, models, tools, trajectory) is built on first use.

`langgraph dev` loads graphs/single_agent.py and graphs/multi_agent.py (langgraph.json). A run
with an empty input and no context optimizes SZx on the cpu backend with the offline scripted
demo model; pass a context such as `{"task": "szp-translate-cuda", "model": "openai:gpt-5.1-codex",
"tier": "user"}` to choose. Each thread writes a normal run folder, `<runs_dir>/studio-<thread id>`
(trajectory.jsonl, revisions/, workspace/), so `szagents report` reads Studio runs too. The
server's own checkpointer holds the graph state; the run folder holds everything else.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from langgraph.config import get_config
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from szagents.roles.context import RunContext
from szagents.roles.graph import build_graph
from szagents.roles.state import initial_state
from szagents.roles.team import Team, first_role
from szagents.run.config import RUN_FILE, RunConfig
from szagents.run.wiring import open_team_run, run_start
from szagents.tasks.catalog import get_task
from szagents.tiers import Tier

__all__ = ["StudioContext", "studio_graph", "run_context"]


@dataclass(frozen=True)
class StudioContext:
    """What a Studio or SDK run may set; everything has a default so an empty context runs offline."""

    task: str = "szx-optimize-cpu"
    model: str = "scripted:demo"  # every role's model
    tier: Tier = "expert"
    runs_dir: str = "runs/studio"
    quick: bool = True  # fewer benchmark repetitions, on the task's smaller quick datasets


@functools.lru_cache(maxsize=64)
def _built(context: StudioContext, thread_id: str, shape: str) -> tuple[RunContext, ExitStack]:
    """One RunContext per thread and context, its trajectory kept open for the server's lifetime."""
    team = Team.single(context.model) if shape == "single" else Team.multi(context.model)
    run_id = f"studio-{thread_id}"
    config = RunConfig(task=context.task, team=team, tier=context.tier, runs_dir=Path(context.runs_dir),
                       run_id=run_id, quick=context.quick)
    run_dir = Path(context.runs_dir) / run_id
    resumed = (run_dir / RUN_FILE).exists()
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / RUN_FILE).write_text(config.model_dump_json(indent=2))
    stack = ExitStack()
    ctx = open_team_run(config, config.resolved_task(), run_dir, stack)[1]
    ctx.sink.emit(run_start(ctx, resumed=resumed))
    return ctx, stack


def run_context(context: StudioContext | dict[str, Any] | None, thread_id: str, shape: str = "single") -> RunContext:
    """The RunContext of a Studio thread on the graph of shape (built on first use)."""
    if isinstance(context, dict):
        context = StudioContext(**context)
    return _built(context or StudioContext(), thread_id, shape)[0]


def _adapter(shape: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a node or path function: a RunContext for it, and the initial state under whatever Studio sent."""

    def adapt(fn: Callable[..., Any]) -> Callable[..., Any]:
        def adapted(state: dict[str, Any], runtime: Runtime[Any]) -> Any:
            if isinstance(runtime.context, RunContext):  # szagents run / start_run: already wired
                return fn(state, runtime)
            thread = str(get_config().get("configurable", {}).get("thread_id", "default"))
            ctx = run_context(runtime.context, thread, shape)
            return fn({**initial_state(ctx.run_id, first_role(ctx.task)), **state}, runtime.override(context=ctx))

        adapted.__name__ = getattr(fn, "__name__", "node")
        return adapted

    return adapt


def studio_graph(shape: Literal["single", "multi"]) -> CompiledStateGraph:
    """The single-agent or multi-agent graph with StudioContext as its context schema."""
    get_task(StudioContext.task)  # fail at load time, with the fix, if the default task is missing
    return build_graph(shape, context_schema=StudioContext, adapt=_adapter(shape)).compile()
