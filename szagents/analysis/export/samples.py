"""One run as an Inspect sample: its transcript, the best revision as its score, budgets, usage and the rest as metadata."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from inspect_ai.event import InfoEvent, SampleLimitEvent, ScoreEvent
from inspect_ai.log import EvalError, EvalSample, EvalSampleLimit
from inspect_ai.model import ChatMessageUser
from inspect_ai.scorer import Score

from szagents.analysis.export.transcript import build_transcript, revision_value
from szagents.trajectory.events import EventBase

__all__ = ["SCORER", "TARGET", "run_sample", "statement"]

SCORER = "szagents"
TARGET = ("a correct kernel (every validation case within its error bound, in the task's format), as fast as "
          "possible in compression and decompression GB/s")
_LIMITS = {"budget_iterations": ("turn", "iterations"), "budget_tokens": ("token", "tokens"),
           "budget_wall": ("time", "wall_seconds"), "budget_tool_calls": ("custom", "tool_calls")}
_FAILED = ("error", "provider_error")
_RUN_FIELDS = ("run_id", "run_dir", "task", "kernel", "mode", "target", "backend", "variant", "team", "tier", "model",
               "stop_reason", "iterations", "input_tokens", "output_tokens", "tokens", "wall_seconds", "revisions",
               "correct_revisions", "success", "best_revision", "baseline_tc_gbps", "baseline_td_gbps",
               "first_correct_revision", "first_correct_iteration", "first_correct_tokens", "first_correct_seconds",
               "rollbacks", "errors", "device", "isolation", "sdk_version")


def _plain(value: Any) -> Any:
    """A table value as JSON: NaN -> None, numpy scalars -> Python numbers."""
    if hasattr(value, "item"):
        value = value.item()
    return None if isinstance(value, float) and math.isnan(value) else value


def statement(start: Any) -> str:
    """What the run asked of its agent, from its run_start (the brief itself is not in the trajectory)."""
    return (f"Task {start.task_id}: {start.mode} the {start.kernel} kernel (variant {start.variant}) for the "
            f"{start.target} backend; prompt tier {start.tier}, team {start.team}.")


def _score(row: dict[str, Any]) -> Score:
    """The run's score: its best revision (the report's 'best' columns), success as 'correct'."""
    best = _plain(row.get("best_revision"))
    value = revision_value(bool(row.get("success")), _plain(row.get("best_tc_gbps")), _plain(row.get("best_td_gbps")),
                           _plain(row.get("best_ratio")))
    answer = f"revision {int(best)}" if best is not None else None
    explanation = (f"best of {_plain(row.get('revisions'))} revisions ({_plain(row.get('correct_revisions'))} correct); "
                   f"correct = a correct revision the agent wrote; stopped: {row.get('stop_reason')}")
    return Score(value=value, answer=answer, explanation=explanation,
                 metadata={k: _plain(row.get(k)) for k in ("best_revision", "baseline_tc_gbps", "baseline_td_gbps",
                                                           "first_correct_iteration", "first_correct_tokens")})


def _limit(end: Any, budgets: dict[str, float]) -> EvalSampleLimit | None:
    """The budget that stopped the run, as Inspect's limit (tool calls: a custom limit)."""
    kind = _LIMITS.get(end.stop_reason) if end is not None else None
    if kind is None or budgets.get(kind[1]) is None:
        return None
    return EvalSampleLimit(type=kind[0], limit=float(budgets[kind[1]]), reason=end.stop_reason)


def _error(end: Any) -> EvalError | None:
    """The run's failure as a sample error: no run_end (interrupted or still going), or an error stop."""
    if end is None:
        message = "the run has no run_end: it was interrupted or is still going (`szagents resume RUN_DIR` continues it)"
    elif end.stop_reason in _FAILED:
        message = f"the run stopped with {end.stop_reason}" + (f" ({end.error_class})" if end.error_class else "")
    else:
        return None
    return EvalError(message=message, traceback="", traceback_ansi="")


def run_sample(row: dict[str, Any], events: list[EventBase], left_out: list[str]) -> EvalSample:
    """The sample of one run: row is its line of load_runs' table, events its trajectory, left_out what is missing."""
    start = next(e for e in events if e.event == "run_start")
    end = next((e for e in reversed(events) if e.event == "run_end" and type(e) is not EventBase), None)
    transcript = build_transcript(events, start.team)
    score = _score(row)
    events_out = list(transcript.events)
    limit = _limit(end, start.budgets)
    last = datetime.fromisoformat((end or events[-1]).ts)
    if limit is not None:
        events_out.append(SampleLimitEvent(type=limit.type, limit=limit.limit, message=f"budget spent: {limit.reason}",
                                           timestamp=last))
    events_out.append(ScoreEvent(score=score, target=TARGET, scorer=SCORER, timestamp=last))
    if left_out:
        events_out.append(InfoEvent(source="szagents/export", data={"left_out": left_out}, timestamp=last))
    budgets = start.budgets
    metadata = {k: _plain(row.get(k)) for k in _RUN_FIELDS} | {
        "models": start.models, "budgets": budgets, "szagents_version": start.szagents_version, "host": start.host,
        "llm_calls": transcript.llm_calls, "tool_calls": transcript.tool_calls,
        "cost_usd": getattr(end, "cost_usd", None), "error_class": getattr(end, "error_class", None),
        "iterations_by_role": getattr(end, "iterations", None), "left_out": left_out}
    text = statement(start)
    return EvalSample(
        id=str(row["run"]), epoch=1, input=text, target=TARGET, messages=[ChatMessageUser(content=text), *transcript.messages],
        output=transcript.output, scores={SCORER: score}, metadata={"szagents": metadata}, events=events_out,
        model_usage=transcript.model_usage, role_usage=transcript.role_usage, started_at=start.ts,
        completed_at=last.isoformat() if end is not None else None, total_time=(last - datetime.fromisoformat(start.ts)).total_seconds(),
        working_time=getattr(end, "wall_seconds", None), limit=limit, error=_error(end), turn_count=transcript.llm_calls,
        token_limit=int(budgets["tokens"]) if budgets.get("tokens") else None,
        time_limit=int(budgets["wall_seconds"]) if budgets.get("wall_seconds") else None,
        token_limit_usage=int(_plain(row.get("tokens")) or 0))
