"""Start or resume a search run (best-of-n, evolve): one run's wiring, many candidates under one budget.

Called by run.graph_run.start_run / resume_run when the RunConfig names a strategy. Same folder, run.json,
trajectory, checkpointer, backend and models as a team run (run.wiring.open_run); in addition: a shared
budget charged with the calls already logged, a device gate over the backend, benchmark slots turned on,
one revision store for every candidate, and the recorded calls and lineage a resume or replay follows.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from szagents.errors import TaskError
from szagents.models import make_model, parse_spec
from szagents.models.calls import ProviderError
from szagents.models.pricing import load_prices
from szagents.models.replay import ReplayChatModel, check_replay_task, recorded_from_events, trajectory_path
from szagents.run.config import RUN_FILE, RunConfig
from szagents.run.models import RateWaitLog, attach_rate_limit, build_models, call_policy, model_options, preflight
from szagents.run.outcome import RunOutcome, load_config
from szagents.run.wiring import OpenedRun, check_backend, export_best, open_run, run_start
from szagents.strategies import build_strategy
from szagents.strategies.budget import SharedBudget
from szagents.strategies.context import LockedRevisions, SearchContext
from szagents.strategies.gate import DeviceGate, GatedBackend
from szagents.strategies.state import search_run_end
from szagents.tasks.slots import bench_slots_env
from szagents.tasks.task import Mode, Task
from szagents.trajectory import open_checkpointer
from szagents.trajectory.events import EventBase, LlmCall, RunStart
from szagents.trajectory.reader import TRAJECTORY_FILENAME, read_events
from szagents.trajectory.search_events import CandidateEvent

__all__ = ["elapsed_before", "resume_search", "start_search", "strategy_name"]


def elapsed_before(events: Sequence[EventBase]) -> float:
    """Wall seconds of earlier sessions: from each run_start to the last event before the next one."""
    total, begin, last = 0.0, None, None
    for event in events:
        stamp = dt.datetime.fromisoformat(event.ts)
        if isinstance(event, RunStart):
            total += (last - begin).total_seconds() if begin and last else 0.0
            begin = stamp
        last = stamp
    return total + ((last - begin).total_seconds() if begin and last else 0.0)


def strategy_name(config: RunConfig) -> str:
    """What reports call the run's workflow: 'evolve', 'best-of-n', or 'best-of-n:multi' (agents that are teams)."""
    inner = "single" if len({r.conversation for r in config.team.roles.values()}) == 1 else "multi"
    return config.strategy.kind if config.strategy.kind == "evolve" or inner == "single" else f"{config.strategy.kind}:{inner}"


def _mutator_spec(config: RunConfig, task: Task) -> str:
    return config.team.models()["translator" if task.mode is Mode.translate else "optimizer"]


def _model_factory(config: RunConfig, task: Task, waits: RateWaitLog) -> Callable[[str, str, int], BaseChatModel]:
    """(role, candidate, ordinal) -> that candidate's model: replays hold its recorded calls, scripts start at its ordinal."""
    specs = {**config.team.models(), "mutator": _mutator_spec(config, task)}
    sources: dict[str, list[EventBase]] = {}
    temperature = config.strategy.temperature

    def make(role: str, candidate: str, ordinal: int) -> BaseChatModel:
        spec = specs[role]
        provider = parse_spec(spec)[0]
        if provider == "replay":
            source = spec.removeprefix("replay:").partition("#")[0]
            events = sources.setdefault(source, read_events(trajectory_path(source)))
            mine = [e for e in events if e.candidate_id == candidate]
            return ReplayChatModel(recorded=recorded_from_events(mine, role), source=source, role=role)
        if provider == "scripted":
            return make_model(spec, start_step=ordinal)
        model = make_model(spec, **model_options(config, provider))
        if role in temperature and "temperature" in type(model).model_fields:
            model = model.model_copy(update={"temperature": temperature[role]})
        attach_rate_limit(model, config, provider, role, waits)
        return model

    return make


def _lineage(config: RunConfig, own: Sequence[EventBase]) -> dict[str, CandidateEvent]:
    """candidate -> the CandidateEvent to follow: this run's own, else a replayed recording's."""
    found: dict[str, CandidateEvent] = {}
    for spec in set(config.team.models().values()):
        if spec.startswith("replay:"):
            source = trajectory_path(spec.removeprefix("replay:").partition("#")[0])
            found.update({e.candidate_id: e for e in read_events(source) if isinstance(e, CandidateEvent)})
    found.update({e.candidate_id: e for e in own if isinstance(e, CandidateEvent)})
    return found


def _context(opened: OpenedRun, gate: DeviceGate, own: Sequence[EventBase], waits: RateWaitLog) -> SearchContext:
    """The search's handles, its shared budget charged with what the trajectory already holds."""
    config, task = opened.config, opened.task
    meter = SharedBudget(opened.budgets, cost_usd_limit=config.strategy.cost_usd,
                         concurrency=config.strategy.concurrency, prices=load_prices(), elapsed_s=elapsed_before(own))
    meter.charge_recorded(own)
    return SearchContext(
        run_id=config.run_id, run_dir=opened.run_dir, task=task, team=config.team, tier=config.tier,
        strategy=config.strategy, budgets=opened.budgets, sink=opened.sink, backend=opened.tools.backend, gate=gate,
        meter=meter, revisions=LockedRevisions(opened.revisions), make_model=_model_factory(config, task, waits),
        saver=opened.checkpointer(), start_files=opened.workspace.snapshot(), mutator_spec=_mutator_spec(config, task),
        tools_template=opened.tools,
        recorded={(e.candidate_id, e.role, e.iteration): e.response for e in own if isinstance(e, LlmCall) and e.candidate_id},
        lineage=_lineage(config, own), logged=frozenset(e.candidate_id for e in own if isinstance(e, CandidateEvent)),
        policy=config.policy(), call_policy=call_policy(config), shell=config.shell, tools_kind=config.tools)


def _settings(config: RunConfig, iterations: int) -> dict[str, Any]:
    width = max(config.strategy.n, config.strategy.evolve.generation_size, 1)
    return {"configurable": {"thread_id": config.run_id}, "recursion_limit": 4 * iterations + 50,
            "max_concurrency": width}


def _drive(config: RunConfig, task: Task, run_dir: Path, observer: Any, resumed: bool) -> dict[str, Any]:
    """Open everything, log run_start, run the strategy's graph to its end; the final state."""
    for spec in config.team.models().values():
        check_replay_task(spec, task.id)
    waits = RateWaitLog(config.run_id)
    preflight(config, build_models(config))
    path = run_dir / TRAJECTORY_FILENAME
    own = read_events(path) if path.exists() else []
    gate = DeviceGate()
    backend = GatedBackend(check_backend(config, task), gate)
    with ExitStack() as stack:
        opened = open_run(config, task, run_dir, stack, backend=backend, observer=observer)
        waits.sink = opened.sink
        ctx = _context(opened, gate, own, waits)
        stack.enter_context(bench_slots_env())
        start_event = run_start(ctx, resumed=resumed)  # type: ignore[arg-type] - a SearchContext has the fields it reads
        opened.sink.emit(start_event.model_copy(update={"team": strategy_name(config)}))  # reports group runs by team
        compiled = build_strategy(config.strategy.kind).compile(checkpointer=ctx.saver)
        settings = _settings(config, ctx.budgets.iterations)
        start = None if compiled.get_state(settings).values else {"run_id": config.run_id, "results": {}, "planned": []}
        try:
            compiled.invoke(start, settings, context=ctx, durability="sync")
        except ProviderError:
            search_run_end(ctx, dict(compiled.get_state(settings).values), "provider_error")
            raise
        return dict(compiled.get_state(settings).values)


def start_search(config: RunConfig, observer: Any | None = None) -> RunOutcome:
    """Run config's search from the start (a start that fails before the graph runs leaves no folder)."""
    config = config.model_copy(update={"run_id": config.resolved_run_id()})
    run_dir = Path(config.runs_dir) / config.run_id
    if run_dir.exists():
        raise TaskError(f"run folder {run_dir} already exists; use `szagents resume {run_dir}` or another --run-id")
    task = config.resolved_task()
    run_dir.mkdir(parents=True)
    (run_dir / RUN_FILE).write_text(config.model_dump_json(indent=2))
    try:
        state = _drive(config, task, run_dir, observer, resumed=False)
    except BaseException:
        if not (run_dir / TRAJECTORY_FILENAME).exists():
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    export_best(run_dir, state)
    return RunOutcome(run_dir, config.run_id, state)


def _finished(config: RunConfig, run_dir: Path) -> tuple[dict[str, Any], bool]:
    with open_checkpointer(config.checkpoint, run_dir) as saver:
        snap = build_strategy(config.strategy.kind).compile(checkpointer=saver).get_state(
            {"configurable": {"thread_id": config.run_id}})
    return dict(snap.values), bool(snap.values) and not snap.next and not snap.tasks


def resume_search(run_dir: Path, observer: Any | None = None, changes: dict[str, Any] | None = None) -> RunOutcome:
    """Continue an interrupted search from its checkpoint (a finished one just reports)."""
    run_dir = Path(run_dir)
    config = load_config(run_dir, changes)
    values, finished = _finished(config, run_dir)
    if finished:
        return RunOutcome(run_dir, config.run_id, values, already_finished=True)
    state = _drive(config, config.resolved_task(), run_dir, observer, resumed=True)
    export_best(run_dir, state)
    return RunOutcome(run_dir, config.run_id, state)
