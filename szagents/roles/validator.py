"""The validator node: run the harness on a submission, keep the best revision, route."""

from __future__ import annotations

import time
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.runtime import Runtime

from szagents.backends.diagnostics import summarize_log
from szagents.errors import HarnessError, SzAgentsError
from szagents.roles.budget import BudgetSpent, exhausted
from szagents.roles.context import RunContext
from szagents.roles.floor import start_ratios
from szagents.roles.llm import call_model, deadline_of, usage_of
from szagents.roles.noise import Comparison
from szagents.roles.remeasure import interleaved
from szagents.roles.state import AgentState
from szagents.tasks.evaluate import Evaluation
from szagents.tasks.integrity import Objective, floors, objective_value
from szagents.trajectory.events import ComparisonEvent, ErrorEvent, RevisionEvent, RollbackEvent

__all__ = ["validator", "summarize", "score"]

_TRANSIENT = {"timeout", "unavailable", "stall"}  # verdicts that identical files may not repeat: measure again
_SUMMARY_KEYS = ("number", "role", "action", "sha256", "files", "verdict", "correct", "compress_gbps",
                 "decompress_gbps", "ratio", "compress_cv", "decompress_cv", "reused_from")


def score(summary: dict[str, Any], objective: Objective = Objective.gmean_gbps) -> float:
    """The objective of a revision summary (default: geometric mean of compression and decompression GB/s)."""
    return objective_value(objective, summary.get("compress_gbps"), summary.get("decompress_gbps"))


def summarize(evaluation: Evaluation) -> tuple[str, str]:
    """(verdict, human-readable detail) of an evaluation, with the first compile errors if any."""
    if not evaluation.build.ok:
        return "compile_error", summarize_log(evaluation.build.log, limit=3000)
    assert evaluation.validation is not None
    if not evaluation.validation.ok:
        return evaluation.validation.verdict.value, evaluation.validation.detail
    if evaluation.benchmark is not None and not evaluation.benchmark.ok:
        return evaluation.benchmark.verdict.value, evaluation.benchmark.detail
    if evaluation.floor is not None and not evaluation.floor.ok:
        return "ratio_regression", evaluation.floor.detail()
    return "ok", ""


def _record(ctx: RunContext, state: AgentState) -> dict[str, Any]:
    """Evaluate the workspace (or reuse the result of identical files), save it as a revision; its summary."""
    submission = state.get("submission") or {"role": "baseline", "action": "Baseline"}
    files = ctx.snapshot()
    earlier = ctx.revisions.same_files(files)
    if earlier is not None and earlier.verdict not in _TRANSIENT:
        revision = ctx.revisions.save_reused(files, role=submission["role"], action=submission["action"], source=earlier)
        detail, note = revision.detail, (f"Revision {revision.number} has exactly the files of revision {earlier.number}, "
                                         "so it was not compiled or measured again; its result is reused. ")
    else:
        evaluation = ctx.evaluate()
        if state.get("submission") is not None:  # the baseline sets the ratio floor; every later revision meets it
            integrity = ctx.task.integrity
            evaluation = evaluation.with_floor(floors(integrity, start_ratios(ctx, state)), integrity.min_ratio)
        revision = ctx.revisions.save(files, role=submission["role"], action=submission["action"], evaluation=evaluation)
        detail, note = summarize(evaluation)[1], ""
    return {**revision.model_dump(include=set(_SUMMARY_KEYS)), "detail": detail, "note": note}


def _measured(summary: dict[str, Any]) -> str:
    return (f"{summary['compress_gbps']:.3f} GB/s compression, {summary['decompress_gbps']:.3f} GB/s decompression, "
            f"ratio {summary['ratio']:.2f}")


def _failed(summary: dict[str, Any]) -> str:
    n, verdict = summary["number"], summary["verdict"]
    if verdict == "ratio_regression":
        return (f"Revision {n} is not accepted: {summary['detail']}. Measured: {_measured(summary)}. "
                "A revision below the ratio floor is never the best.")
    return f"Revision {n} failed validation: {verdict}\n{summary['detail']}"


def _compare(ctx: RunContext, best: dict[str, Any], summary: dict[str, Any], question: str) -> Comparison | None:
    """Re-measure best and summary interleaved and log the comparison.

    None (decide on the one measurement) without a measure hook, or when neither measurement has a
    spread (cycle-counted device time, e.g. Cerebras, reports none and does not vary).
    """
    spreads = [r.get(k) for r in (best, summary) for k in ("compress_cv", "decompress_cv")]
    if ctx.measure is None or all(v is None for v in spreads):
        return None
    policy = ctx.policy
    comparison = interleaved(
        ctx.measure, (ctx.revisions.files(best["number"]), ctx.revisions.files(summary["number"])),
        (best["number"], summary["number"]), objective=ctx.task.integrity.objective, question=question,
        rounds=policy.rounds, improvement=policy.improvement, regression=policy.regression, alpha=policy.alpha,
        extended_rounds=policy.extended_rounds, extended_alpha=policy.extended_alpha)
    ctx.sink.emit(ComparisonEvent(run_id=ctx.run_id, **comparison.model_dump()))
    return comparison


def _judge(ctx: RunContext, state: AgentState, summary: dict[str, Any]) -> dict[str, Any]:
    """Best/stale/rollback bookkeeping and the feedback for the author that acts next."""
    best = next((r for r in state.get("revisions", []) if r["number"] == state.get("best")), None)
    n, note, objective = summary["number"], summary.get("note", ""), ctx.task.integrity.objective
    if not summary["correct"]:
        return {"feedback": note + _failed(summary)}
    shown, stale = _measured(summary), state.get("stale", 0) + 1
    if best is None:
        return {"best": n, "stale": 0, "feedback": f"{note}Revision {n} is correct and the best so far: {shown}."}
    if summary["sha256"] == best["sha256"]:
        return {"stale": stale, "feedback": f"{note}It is the code of revision {best['number']}, the best so far "
                f"({shown}); the best stays revision {best['number']}. Change the code before you submit again."}
    value, top, policy = score(summary, objective), score(best, objective), ctx.policy
    question = "better" if value > top * (1 + policy.improvement) else "worse" if value < top * (1 - policy.regression) else None
    if question is None:
        return {"stale": stale, "feedback": f"{note}Revision {n} is correct ({shown}) but not faster than revision "
                f"{best['number']} on {objective.value} by more than {policy.improvement:.0%}."}
    comparison = _compare(ctx, best, summary, question)
    measured = f" ({comparison.summary()})" if comparison else ""
    if question == "better" and (comparison is None or comparison.decision == "better"):
        return {"best": n, "stale": 0, "feedback": f"{note}Revision {n} is correct and the best so far: {shown}{measured}."}
    if question == "worse" and (comparison is None or comparison.decision == "worse"):
        reason = comparison.summary() if comparison else f"{objective.value} {value:.3f} < best {top:.3f}"
        return {"stale": stale, "rollback": (best["number"], reason),
                "feedback": f"{note}Revision {n} is correct but slower ({shown}) than revision {best['number']}{measured}; "
                f"the workspace was rolled back to revision {best['number']}."}
    return {"stale": stale, "feedback": f"{note}Revision {n} is correct ({shown}); against revision {best['number']} "
            f"the difference is within the measurement noise{measured}, so the best stays revision {best['number']}."}


def _review(ctx: RunContext, state: AgentState, text: str) -> tuple[str, dict[str, Any]]:
    """Optional LLM reviewer: turn a failure into a diagnosis (one counted iteration, its tokens counted)."""
    if ctx.models.get("validator") is None:
        return text, {}
    iteration = state.get("iterations", {}).get("validator", 0) + 1
    messages = [SystemMessage(ctx.system_prompt("validator")), HumanMessage(text)]
    try:
        reply = call_model(ctx, "validator", messages, iteration, deadline_of(ctx, state.get("elapsed_seconds", 0.0)))
    except BudgetSpent:  # a strategy's shared budget is spent: no review
        reply = None
    if reply is None:  # the wall budget ended during the review: the author gets the plain verdict
        return text, {}
    tokens_in, tokens_out = usage_of(reply)
    return f"{text}\n\nReviewer's diagnosis:\n{reply.content}", {
        "iterations": {"validator": iteration}, "input_tokens": state.get("input_tokens", 0) + tokens_in,
        "output_tokens": state.get("output_tokens", 0) + tokens_out}


def _unevaluated(ctx: RunContext, state: AgentState, exc: Exception) -> dict[str, Any]:
    """A submission the harness could not even start on (e.g. no kernel file): feedback, no revision."""
    role = (state.get("submission") or {}).get("role") or state.get("active_role") or "optimizer"
    ctx.sink.emit(ErrorEvent(run_id=ctx.run_id, kind="submit", message=f"{role}: submission not evaluated: {exc}"))
    return {"submission": None, "active_role": role,
            "feedback": {role: f"Your submission could not be evaluated: {exc}. Fix this and submit again."},
            "stop_reason": exhausted(state, ctx.budgets)}


def validator(state: AgentState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Evaluate the workspace, record the revision, decide who acts next or whether to stop."""
    ctx = runtime.context
    start = time.perf_counter()
    try:
        summary = _record(ctx, state)
    except HarnessError:
        raise
    except SzAgentsError as exc:
        return {**_unevaluated(ctx, state, exc), "elapsed_seconds": state.get("elapsed_seconds", 0.0) + time.perf_counter() - start}
    previous = state.get("revisions", [])
    diff = ctx.revisions.diff(previous[-1]["number"], summary["number"]) if previous else ""
    verdict = _judge(ctx, state, summary)
    feedback, review, rollback = verdict.pop("feedback"), {}, verdict.pop("rollback", None)
    if not summary["correct"]:
        feedback, review = _review(ctx, state, feedback)
    iterations = review.pop("iterations", {})
    best = verdict.get("best", state.get("best"))
    own = summary["verdict"] == "ratio_regression" or summary["reused_from"] is not None  # no harness event says why
    ctx.sink.emit(RevisionEvent(run_id=ctx.run_id, diff=diff, is_best=best == summary["number"],
                                detail=summary["detail"][:300] if own else "",
                                **{k: v for k, v in summary.items() if k not in ("detail", "note")}))
    if rollback is not None:
        ctx.restore(rollback[0])
        ctx.sink.emit(RollbackEvent(run_id=ctx.run_id, from_revision=summary["number"], to_revision=rollback[0],
                                    reason=rollback[1]))
    next_role = "optimizer" if best is not None and "optimizer" in ctx.team.roles else summary_role(summary)
    kept = {k: v for k, v in summary.items() if k != "note"}
    update: dict[str, Any] = {**verdict, "revisions": [*previous, kept], "submission": None,
                              "active_role": next_role, "feedback": {next_role: feedback}, "iterations": iterations, **review}
    merged = {**state, **update, "iterations": {**state.get("iterations", {}), **iterations}}
    update["stop_reason"] = exhausted(merged, ctx.budgets) or (
        "plateau" if update.get("stale", state.get("stale", 0)) >= ctx.policy.plateau else None)
    update["elapsed_seconds"] = state.get("elapsed_seconds", 0.0) + time.perf_counter() - start
    return update


def summary_role(summary: dict[str, Any]) -> str:
    """Who fixes a failed revision: its author (the baseline's fixer is the optimizer)."""
    return "optimizer" if summary["role"] in ("baseline", "optimizer") else "translator"
