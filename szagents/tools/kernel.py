"""Kernel tools: compile, validate, benchmark the workspace; submit it for a revision."""

from __future__ import annotations

from langchain_core.tools import ToolException

from szagents.tasks.evaluate import Evaluation, evaluate
from szagents.tools.context import ToolContext
from szagents.tools.events import benchmark_event, compile_event, validation_event
from szagents.tools.formatting import format_benchmark, format_compile, format_validation
from szagents.workspace.layout import target_files
from szagents.workspace.revisions import one_line, revision_score

__all__ = ["SUBMIT_TOOL", "check_ready", "evaluate_workspace", "compile_workspace", "validate_workspace", "benchmark_workspace", "submit"]

SUBMIT_TOOL = "submit"  # the graph watches for this tool name and then runs the validator


def check_ready(ctx: ToolContext, *, run: bool) -> None:
    """Raise ToolException when the target file is missing or the backend cannot compile (or run)."""
    missing = [t for t in target_files(ctx.task) if not ctx.workspace.exists(t)]
    if missing:
        raise ToolException(f"error: {', '.join(missing)} does not exist yet; write it with write_file first")
    state = ctx.backend.availability()
    if not state.can_compile or (run and not state.available):
        what = "running kernels" if state.can_compile else "compiling"
        raise ToolException(f"error: {what} is not available on the {ctx.backend.name} backend here: "
                            f"{state.reason}. The validator will still check submitted revisions.")


def evaluate_workspace(ctx: ToolContext, *, bench: bool, by: str = "tool") -> Evaluation:
    """Compile (+ validate, + benchmark) the workspace and emit the matching events, marked `by`."""
    result = evaluate(
        ctx.backend, ctx.sources(), ctx.spec, ctx.workdir, ctx.validation_problems,
        ctx.benchmark_problems if bench else (), ctx.bench_settings,
    )
    ctx.sink.emit(compile_event(result.build, run_id=ctx.run_id, by=by))
    if result.validation is not None:
        ctx.sink.emit(validation_event(result.validation, run_id=ctx.run_id, by=by))
    if result.benchmark is not None:
        ctx.sink.emit(benchmark_event(result.benchmark, run_id=ctx.run_id, by=by))
    return result


def compile_workspace(ctx: ToolContext) -> str:
    """Compile the target sources; ok or the first errors with file:line."""
    check_ready(ctx, run=False)
    build = ctx.backend.compile(ctx.sources(), ctx.spec, ctx.workdir)
    ctx.sink.emit(compile_event(build, run_id=ctx.run_id, by="tool"))
    return format_compile(build, ctx.workspace.root, ctx.limits.log_chars)


def validate_workspace(ctx: ToolContext) -> str:
    """Compile, then run the validation suite; verdict, detail and a per-case table."""
    check_ready(ctx, run=True)
    result = evaluate_workspace(ctx, bench=False)
    text = format_compile(result.build, ctx.workspace.root, ctx.limits.log_chars)
    if result.validation is not None:
        text += "\n" + format_validation(result.validation)
    return text


def benchmark_workspace(ctx: ToolContext) -> str:
    """Compile, validate, then time the benchmark suite; GB/s and ratio per case."""
    check_ready(ctx, run=True)
    if not ctx.benchmark_problems:
        raise ToolException("error: this task has no benchmark suite; use validate")
    result = evaluate_workspace(ctx, bench=True)
    text = format_compile(result.build, ctx.workspace.root, ctx.limits.log_chars)
    if result.validation is not None and not result.validation.ok:
        return text + "\n" + format_validation(result.validation) + "\nbenchmark skipped: the kernel must validate first"
    if result.validation is not None:
        count = len(result.validation.cases)
        text += f"\nvalidation: ok ({count}/{count} cases passed)"
    if result.benchmark is not None:
        text += "\n" + format_benchmark(result.benchmark)
        cases = result.benchmark.cases
        if result.benchmark.ok and len(cases) == 1:
            text += f"\nscore (geometric mean of GB/s): {revision_score(cases[0].compress_gbps, cases[0].decompress_gbps):.3f}"
    return text


def submit(ctx: ToolContext, action: str) -> str:
    """Ask for the workspace to be validated and recorded as a revision; does no harness work itself."""
    summary = one_line(action)
    if not summary:
        raise ToolException("error: give a one-line summary of what this revision changes, e.g. "
                            "'fuse the prefix sum into the encode kernel'")
    missing = [t for t in target_files(ctx.task) if not ctx.workspace.exists(t)]
    if missing:
        raise ToolException(f"error: nothing to submit: {', '.join(missing)} does not exist yet")
    return (f"submitted ({ctx.role()}): {summary}\nThe validator now compiles, validates and benchmarks the "
            "workspace and records it as a revision; its verdict follows.")
