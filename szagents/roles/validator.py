"""The validator node: run the harness on a submission, keep the best revision, route."""

from __future__ import annotations

import math
import time
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.runtime import Runtime

from szagents.backends.diagnostics import summarize_log
from szagents.errors import HarnessError, SzAgentsError
from szagents.roles.budget import exhausted
from szagents.roles.context import RunContext
from szagents.roles.llm import call_model, deadline_of, usage_of
from szagents.roles.state import AgentState
from szagents.tasks.evaluate import Evaluation
from szagents.trajectory.events import ErrorEvent, RevisionEvent, RollbackEvent

__all__ = ["validator", "summarize", "score"]


def score(summary: dict[str, Any]) -> float:
    """Geometric mean of compression and decompression GB/s (0 when not measured)."""
    c, d = summary.get("compress_gbps") or 0.0, summary.get("decompress_gbps") or 0.0
    return math.sqrt(c * d) if c > 0 and d > 0 else 0.0


def summarize(evaluation: Evaluation) -> tuple[str, str]:
    """(verdict, human-readable detail) of an evaluation, with the first compile errors if any."""
    if not evaluation.build.ok:
        return "compile_error", summarize_log(evaluation.build.log, limit=3000)
    assert evaluation.validation is not None
    if not evaluation.validation.ok:
        return evaluation.validation.verdict.value, evaluation.validation.detail
    if evaluation.benchmark is not None and not evaluation.benchmark.ok:
        return evaluation.benchmark.verdict.value, evaluation.benchmark.detail
    return "ok", ""


def _record(ctx: RunContext, state: AgentState, evaluation: Evaluation) -> dict[str, Any]:
    """Save the workspace as a revision and log it; return its summary."""
    submission = state.get("submission") or {"role": "baseline", "action": "Baseline"}
    files = ctx.snapshot()
    revision = ctx.revisions.save(files, role=submission["role"], action=submission["action"], evaluation=evaluation)
    verdict, detail = summarize(evaluation)
    bench = evaluation.benchmark.cases[0] if evaluation.benchmark and evaluation.benchmark.cases else None
    return {
        "number": revision.number, "role": submission["role"], "action": submission["action"],
        "sha256": revision.sha256, "files": sorted(files), "verdict": verdict, "detail": detail,
        "correct": evaluation.correct and verdict == "ok",
        "compress_gbps": bench.compress_gbps if bench else None,
        "decompress_gbps": bench.decompress_gbps if bench else None,
        "ratio": bench.ratio if bench else None,
    }


def _judge(ctx: RunContext, state: AgentState, summary: dict[str, Any]) -> dict[str, Any]:
    """Best/stale/rollback bookkeeping and the feedback for the author that acts next."""
    revisions = state.get("revisions", [])
    best = next((r for r in revisions if r["number"] == state.get("best")), None)
    n = summary["number"]
    if not summary["correct"]:
        return {"feedback": f"Revision {n} failed validation: {summary['verdict']}\n{summary['detail']}"}
    gbps = f"{summary['compress_gbps']:.3f} GB/s compression, {summary['decompress_gbps']:.3f} GB/s decompression, ratio {summary['ratio']:.2f}"
    if best is None or score(summary) > score(best) * (1 + ctx.policy.improvement):
        return {"best": n, "stale": 0, "feedback": f"Revision {n} is correct and the best so far: {gbps}."}
    stale = state.get("stale", 0) + 1
    if score(summary) < score(best) * (1 - ctx.policy.regression):
        return {"stale": stale, "rollback": (best["number"], f"score {score(summary):.3f} < best {score(best):.3f}"),
                "feedback": f"Revision {n} is correct but slower ({gbps}) than revision "
                f"{best['number']}; the workspace was rolled back to revision {best['number']}."}
    return {"stale": stale, "feedback": f"Revision {n} is correct ({gbps}) but not faster than revision {best['number']}."}


def _review(ctx: RunContext, state: AgentState, text: str) -> tuple[str, dict[str, Any]]:
    """Optional LLM reviewer: turn a failure into a diagnosis (one counted iteration, its tokens counted)."""
    if ctx.models.get("validator") is None:
        return text, {}
    iteration = state.get("iterations", {}).get("validator", 0) + 1
    messages = [SystemMessage(ctx.system_prompt("validator")), HumanMessage(text)]
    reply = call_model(ctx, "validator", messages, iteration, deadline_of(ctx, state.get("elapsed_seconds", 0.0)))
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
        evaluation = ctx.evaluate()
    except HarnessError:
        raise
    except SzAgentsError as exc:
        return {**_unevaluated(ctx, state, exc), "elapsed_seconds": state.get("elapsed_seconds", 0.0) + time.perf_counter() - start}
    summary = _record(ctx, state, evaluation)
    previous = state.get("revisions", [])
    diff = ctx.revisions.diff(previous[-1]["number"], summary["number"]) if previous else ""
    verdict = _judge(ctx, state, summary)
    feedback, review, rollback = verdict.pop("feedback"), {}, verdict.pop("rollback", None)
    if not summary["correct"]:
        feedback, review = _review(ctx, state, feedback)
    iterations = review.pop("iterations", {})
    best = verdict.get("best", state.get("best"))
    ctx.sink.emit(RevisionEvent(run_id=ctx.run_id, diff=diff, is_best=best == summary["number"],
                                **{k: v for k, v in summary.items() if k != "detail"}))
    if rollback is not None:
        ctx.restore(rollback[0])
        ctx.sink.emit(RollbackEvent(run_id=ctx.run_id, from_revision=summary["number"], to_revision=rollback[0],
                                    reason=rollback[1]))
    next_role = "optimizer" if best is not None and "optimizer" in ctx.team.roles else summary_role(summary)
    update: dict[str, Any] = {**verdict, "revisions": [*previous, summary], "submission": None,
                              "active_role": next_role, "feedback": {next_role: feedback}, "iterations": iterations, **review}
    merged = {**state, **update, "iterations": {**state.get("iterations", {}), **iterations}}
    update["stop_reason"] = exhausted(merged, ctx.budgets) or (
        "plateau" if update.get("stale", state.get("stale", 0)) >= ctx.policy.plateau else None)
    update["elapsed_seconds"] = state.get("elapsed_seconds", 0.0) + time.perf_counter() - start
    return update


def summary_role(summary: dict[str, Any]) -> str:
    """Who fixes a failed revision: its author (the baseline's fixer is the optimizer)."""
    return "optimizer" if summary["role"] in ("baseline", "optimizer") else "translator"
