"""Trajectory events from harness results (used by the tools, by="tool", and the validator)."""

from __future__ import annotations

from szagents.backends.diagnostics import summarize_log
from szagents.backends.results import BenchmarkResult, CompileResult, ValidationResult
from szagents.trajectory.events import BenchmarkEvent, CompileEvent, ValidationEvent

__all__ = ["compile_event", "validation_event", "benchmark_event"]


def compile_event(result: CompileResult, *, run_id: str, by: str, log_chars: int = 2000) -> CompileEvent:
    """A CompileEvent with the first errors of the log."""
    return CompileEvent(
        run_id=run_id, by=by, ok=result.ok, cached=result.cached, compile_seconds=result.compile_seconds,
        content_sha256=result.content_sha256, command=list(result.command),
        log_excerpt=summarize_log(result.log, limit=log_chars), sdk_version=result.sdk_version, isolation=result.isolation,
    )


def validation_event(result: ValidationResult, *, run_id: str, by: str) -> ValidationEvent:
    """A ValidationEvent with every case."""
    return ValidationEvent(
        run_id=run_id, by=by, verdict=result.verdict, detail=result.detail, cases=list(result.cases),
        wall_seconds=result.wall_seconds,
        sdk_version=result.sdk_version, isolation=result.isolation,
    )


def benchmark_event(result: BenchmarkResult, *, run_id: str, by: str) -> BenchmarkEvent:
    """A BenchmarkEvent with every case and the environment."""
    return BenchmarkEvent(
        run_id=run_id, by=by, verdict=result.verdict, cases=list(result.cases), environment=result.environment,
        sdk_version=result.sdk_version, isolation=result.isolation,
    )
