"""Classify a harness run: the result file when there is one, else stall or runtime_error."""

from __future__ import annotations

from typing import Any

from szagents.backends.cerebras.launch import RunOutput
from szagents.backends.results import BenchmarkCase, BenchmarkResult, Environment, ValidationResult, Verdict
from szagents.backends.sandbox import Limits, tail
from szagents.errors import HarnessError

__all__ = ["STALL_HINT", "QUEUED_HINT", "classify", "to_validation", "to_benchmark"]

STALL_HINT = ("a launch or transfer never completed: a function that does not end with "
              "sys_mod.unblock_cmd_stream(), a PE waiting for fabric data that never arrives, "
              "or a task never activated")
QUEUED_HINT = ("the appliance job never started its host program (waiting in the cluster's queue or uploading): "
               "the kernel did not run, so this says nothing about it; retry when the cluster is less busy, or "
               "raise SZAGENTS_CEREBRAS_QUEUE_SECONDS")
_BEFORE_LAUNCH = "launcher"  # appliance progress while SdkLauncher waits for a worker and uploads


def classify(run: RunOutput, limits: Limits) -> dict[str, Any]:
    """The harness's result, or a stall/runtime_error made from how the process ended."""
    result = run.result
    fault = (result or {}).get("internal_error") or run.message("internal_error")
    if fault:
        raise HarnessError("the cerebras host harness failed (not the kernel):\n" + str(fault))
    if result is not None:
        return result
    where = f" during {run.phase!r}" if run.phase else ""
    executed = run.message("exec_timeout")  # appliance: the child timed the execution alone
    if executed is not None:
        return {"verdict": "stall", "detail": f"no result after {executed:g} s of execution: {STALL_HINT}",
                "phase": "running"}
    queued = run.message("queue_timeout")
    if queued is not None or (run.outcome.timed_out and run.phase == _BEFORE_LAUNCH):
        waited = queued if queued is not None else run.outcome.wall_seconds
        return {"verdict": "queued", "detail": f"no start after {waited:.0f} s: {QUEUED_HINT}", "phase": "queued"}
    if run.outcome.timed_out:
        return {"verdict": "stall", "detail": f"no result after {limits.wall_seconds:g} s{where}: {STALL_HINT}",
                "phase": run.phase}
    error = run.message("runtime_error") or run.message("download_error")
    if error:
        return {"verdict": "runtime_error", "detail": f"the SDK launcher failed{where}: {error}", "phase": run.phase}
    signal, status = run.outcome.signal, run.outcome.returncode
    how = f"was killed by {signal}" if signal else f"exited with status {status}"
    return {"verdict": "runtime_error", "detail": f"cs_python {how}{where} without a result; see stderr",
            "phase": run.phase, "signal": run.outcome.signal}


def _common(result: dict[str, Any], run: RunOutput) -> dict[str, Any]:
    detail = result.get("detail", "")
    if result.get("failed_case") and result["verdict"] != "ok":
        detail = f"[{result['failed_case']}] {detail}"
    return {"verdict": Verdict(result["verdict"]), "detail": detail, "phase": result.get("phase"),
            "signal": result.get("signal"), "wall_seconds": run.outcome.wall_seconds,
            "stderr_tail": tail(run.outcome.stderr), "sdk_version": run.sdk_version}


def to_validation(run: RunOutput, limits: Limits) -> ValidationResult:
    """A ValidationResult from a validate run."""
    result = classify(run, limits)
    return ValidationResult(cases=result.get("cases", []), **_common(result, run))


def to_benchmark(run: RunOutput, limits: Limits, environment: Environment) -> BenchmarkResult:
    """A BenchmarkResult from a benchmark run; outputs outside the bound make it a bound_violation."""
    result = classify(run, limits)
    fields = _common(result, run)
    cases = []
    for case in result.get("cases", []):
        if case.get("violations") and fields["verdict"] is Verdict.ok:
            fields.update(verdict=Verdict.bound_violation, detail=f"benchmark output of {case['dataset']} exceeds the "
                          f"error bound ({case['violations']} values)")
        cases.append(BenchmarkCase(**{k: v for k, v in case.items() if k in BenchmarkCase.model_fields}))
    return BenchmarkResult(cases=cases, environment=environment, **fields)
