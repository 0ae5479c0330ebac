"""Walk one run's events in order and turn them into plain row dicts (runs, revisions, calls, measurements)."""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from szagents.analysis.loading.taxonomy import as_float, call_action, exec_time_s, failure_mode
from szagents.trajectory import BenchmarkEvent, EventBase, RevisionEvent, ValidationEvent, Verdict, read_run

__all__ = ["RunRows", "collect_run"]


@dataclass
class RunRows:
    """The rows one run contributes to each table."""

    run: dict[str, Any]
    revisions: list[dict[str, Any]] = field(default_factory=list)
    llm_calls: list[dict[str, Any]] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    benchmarks: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Walk:
    """Mutable state while walking a run's events."""

    rows: RunRows
    t0: datetime | None = None
    calls: int = 0
    tokens: int = 0
    context: str = "first_version"  # first_version | debugging | tuning
    has_correct: bool = False
    last_hash: str = ""
    pending: dict[str, Any] = field(default_factory=dict)  # validator compile/validation/benchmark of the next revision
    step: list[dict[str, Any]] = field(default_factory=list)  # measurements since the previous revision


def _ts(event: EventBase) -> datetime | None:
    """The event's timestamp, or None when it does not parse."""
    try:
        return datetime.fromisoformat(event.ts)
    except (TypeError, ValueError):
        return None


def _seconds(walk: _Walk, event: EventBase) -> float:
    """Seconds from the run's first event to event (NaN without timestamps)."""
    now = _ts(event)
    return (now - walk.t0).total_seconds() if now and walk.t0 else math.nan


def _on_start(walk: _Walk, e: Any) -> None:
    """The configuration, from the first run_start (a resume adds a start, nothing else)."""
    run = walk.rows.run
    run["starts"] = run.get("starts", 0) + 1
    if run["starts"] > 1:
        return
    run.update(task=e.task_id, kernel=e.kernel, mode=e.mode, target=e.target, variant=e.variant, team=e.team,
               tier=e.tier, budget_iterations=as_float(e.budgets.get("iterations")))
    for role, spec in sorted(e.models.items()):
        run[f"model_{role}"] = spec
    authors = [e.models[r] for r in ("translator", "optimizer") if r in e.models] or sorted(e.models.values())
    run["model"] = "+".join(dict.fromkeys(authors))


def _on_llm(walk: _Walk, e: Any) -> None:
    """One LLM-call row with what it asked for and the phase it belongs to."""
    walk.calls += 1
    walk.tokens += e.input_tokens + e.output_tokens
    tools = [str(c.get("name", "")) for c in (e.response or {}).get("tool_calls") or [] if isinstance(c, dict)]
    action = call_action(tools)
    if walk.context in ("debugging", "tuning"):
        phase = walk.context
    else:
        phase = {"editing": "editing", "submitting": "editing", "compiling": "compiling"}.get(action, "other")
    walk.rows.llm_calls.append(dict(
        call=walk.calls, role=e.role, model=e.model, iteration=e.iteration, input_tokens=e.input_tokens,
        output_tokens=e.output_tokens, latency_s=e.latency_s, tools=",".join(tools), action=action,
        context=walk.context, phase=phase, seconds=_seconds(walk, e),
    ))


def _on_tool(walk: _Walk, e: Any) -> None:
    """One tool-call row, attached to the LLM call that asked for it."""
    walk.rows.tool_calls.append(dict(call=walk.calls, role=e.role, tool=e.tool, ok=e.ok, duration_s=e.duration_s,
                                     path=str(e.args.get("path", "")) if isinstance(e.args, dict) else ""))


def _after_own_check(walk: _Walk, ok: bool) -> None:
    """An agent's own compile/validation moves the phase: a failure starts debugging, a pass ends it."""
    if not ok:
        walk.context = "debugging"
    elif walk.context == "debugging":
        walk.context = "tuning" if walk.has_correct else "first_version"


def _on_compile(walk: _Walk, e: Any) -> None:
    """Remember the compiled content; a failed compile of the agent's own starts debugging."""
    walk.last_hash = e.content_sha256
    _isolation(walk, e)
    if e.by == "validator":
        walk.pending["compile"] = e
    elif not e.ok:
        _after_own_check(walk, False)


def _isolation(walk: _Walk, e: Any) -> None:
    """The weakest isolation any of the run's untrusted work had (rlimits-only beats bwrap), and its SDKs."""
    seen = getattr(e, "isolation", None)
    if seen and walk.rows.run.get("isolation") != "rlimits-only":
        walk.rows.run["isolation"] = seen
    sdk = getattr(e, "sdk_version", None)
    if sdk:
        versions = walk.rows.run.setdefault("sdk_versions", [])
        if sdk not in versions:
            versions.append(sdk)


def _on_validation(walk: _Walk, e: ValidationEvent) -> None:
    """Keep the validator's result for the next revision, or move the phase."""
    _isolation(walk, e)
    if e.by == "validator":
        walk.pending["validation"] = e
    else:
        _after_own_check(walk, e.verdict is Verdict.ok)


def _on_benchmark(walk: _Walk, e: BenchmarkEvent) -> None:
    """One measurement row per case; the validator's is kept for the next revision."""
    env = e.environment
    if e.by == "validator":
        walk.pending["benchmark"] = e
    for index, case in enumerate(e.cases):
        row = dict(
            step=len(walk.rows.revisions) + 1, by=e.by, verdict=str(e.verdict), content_sha256=walk.last_hash,
            case=index, dataset=case.dataset, compress_gbps=as_float(case.compress_gbps),
            decompress_gbps=as_float(case.decompress_gbps), ratio=as_float(case.ratio),
            compress_bandwidth_fraction=as_float(case.compress_bandwidth_fraction),
            decompress_bandwidth_fraction=as_float(case.decompress_bandwidth_fraction),
            compress_joules_per_gb=as_float(case.compress_joules_per_gb),
            decompress_joules_per_gb=as_float(case.decompress_joules_per_gb),
            exec_time_s=exec_time_s(case), backend=env.backend if env else None, device=env.device if env else None,
            memory_bandwidth_gbps=as_float(env.memory_bandwidth_gbps if env else None),
        )
        walk.rows.benchmarks.append(row)
        walk.step.append(row)


def _step_medians(walk: _Walk) -> dict[str, Any]:
    """Medians over every measurement of this step's code (validator and the agent's own) on the primary case."""
    bench: BenchmarkEvent | None = walk.pending.get("benchmark")
    primary = bench.cases[0].dataset if bench is not None and bench.cases else None
    compiled = walk.pending.get("compile")
    same = [m for m in walk.step if m["dataset"] == primary and m["verdict"] == "ok"
            and (compiled is None or m["content_sha256"] == compiled.content_sha256)]
    out: dict[str, Any] = {"measurements": len(same)}
    for key in ("compress_gbps", "decompress_gbps", "ratio", "compress_bandwidth_fraction",
                "decompress_bandwidth_fraction", "compress_joules_per_gb", "decompress_joules_per_gb"):
        values = [m[key] for m in same if not math.isnan(m[key])]
        out[f"{key}_median"] = statistics.median(values) if values else math.nan
    first = bench.cases[0] if bench is not None and bench.cases else None
    validation = walk.pending.get("validation")
    out["exec_time_s"] = exec_time_s(first, getattr(validation, "model_extra", None))
    out["device"] = bench.environment.device if bench is not None and bench.environment else None
    return out


def _own_measurement(measured: dict[str, Any], e: RevisionEvent) -> dict[str, Any]:
    """Step medians; where the step has no benchmark of its code (a reused result), the revision's own numbers."""
    if measured["measurements"]:
        return measured
    own = {"compress_gbps": e.compress_gbps, "decompress_gbps": e.decompress_gbps, "ratio": e.ratio}
    return {**measured, **{f"{k}_median": as_float(v) for k, v in own.items()}}


def _on_comparison(walk: _Walk, e: Any) -> None:
    """An interleaved re-measurement before the next revision's decision: kept for its row."""
    walk.pending["comparison"] = e


def _on_revision(walk: _Walk, e: RevisionEvent) -> None:
    """One revision row with the step's medians, failure mode and cost so far."""
    measured = _own_measurement(_step_medians(walk), e)
    exec_time = measured.pop("exec_time_s")
    exec_time = exec_time_s(None, e.model_extra) if math.isnan(exec_time) else exec_time
    runnable = bool(e.correct) and exec_time != 0
    validation = walk.pending.get("validation")
    walk.rows.revisions.append(dict(
        number=e.number, role=e.role, action=e.action, verdict=str(e.verdict), correct=bool(e.correct),
        runnable=runnable, failure=failure_mode(e.verdict, exec_time), is_best=e.is_best,
        compress_gbps=as_float(e.compress_gbps), decompress_gbps=as_float(e.decompress_gbps), ratio=as_float(e.ratio),
        **measured, exec_time_s=exec_time, detail=e.detail or getattr(validation, "detail", "") or "",
        iteration=walk.calls, tokens=walk.tokens, seconds=_seconds(walk, e), diff=e.diff,
        path=f"revisions/{e.number:03d}", compress_cv=as_float(e.compress_cv),
        decompress_cv=as_float(e.decompress_cv), reused_from=e.reused_from,
        remeasured=getattr(walk.pending.get("comparison"), "decision", None),
    ))
    walk.pending, walk.step = {}, []
    walk.context = "tuning" if runnable else "debugging"
    walk.has_correct = walk.has_correct or runnable


def _on_end(walk: _Walk, e: Any) -> None:
    """Stop reason, wall time and final answer of the run."""
    walk.rows.run.update(stop_reason=e.stop_reason, wall_seconds=e.wall_seconds, final_revision=e.best_revision,
                         finished=True)


def _on_other(walk: _Walk, e: Any) -> None:
    """Count rollbacks and infrastructure errors."""
    run = walk.rows.run
    if e.event == "rollback":
        run["rollbacks"] = run.get("rollbacks", 0) + 1
    elif e.event == "error":
        run["errors"] = run.get("errors", 0) + 1
        run["last_error"] = f"{e.kind}: {e.message}"


_HANDLERS = {"run_start": _on_start, "llm_call": _on_llm, "tool_call": _on_tool, "compile": _on_compile,
             "validation": _on_validation, "benchmark": _on_benchmark, "revision": _on_revision, "run_end": _on_end,
             "rollback": _on_other, "error": _on_other, "comparison": _on_comparison}


def _run_json_backend(run_dir: Path) -> str | None:
    """The backend override of run.json, read as plain JSON (None when absent or unreadable)."""
    try:
        return json.loads((run_dir / "run.json").read_text()).get("backend")
    except (OSError, ValueError, AttributeError):
        return None


def collect_run(run_dir: Path) -> RunRows:
    """Rows of every table for the run stored in run_dir (typed events only; unknown ones are skipped)."""
    walk = _Walk(RunRows(run={"run_id": run_dir.name, "run_dir": str(run_dir), "finished": False}))
    events = read_run(run_dir)
    for event in events:
        walk.t0 = walk.t0 or _ts(event)
        handler = _HANDLERS.get(event.event)
        if handler is not None and type(event) is not EventBase:  # plain EventBase: unknown or newer event
            handler(walk, event)
    run = walk.rows.run
    if events:
        run["run_id"] = events[0].run_id
        run.setdefault("wall_seconds", _seconds(walk, events[-1]))
    measured = [b["backend"] for b in walk.rows.benchmarks if b["backend"]]
    run["backend"] = measured[0] if measured else _run_json_backend(run_dir) or run.get("target")
    run["iterations"], run["tokens"] = walk.calls, walk.tokens
    run["sdk_version"] = " + ".join(sorted(run.pop("sdk_versions", [])))  # "" without an SDK; " + ": mixed in the run
    run["input_tokens"] = sum(c["input_tokens"] for c in walk.rows.llm_calls)
    run["output_tokens"] = sum(c["output_tokens"] for c in walk.rows.llm_calls)
    return walk.rows
