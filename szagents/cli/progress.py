"""Live progress view of a run: one line per LLM call, tool call, revision and rollback."""

from __future__ import annotations

from rich.console import Console

from szagents.trajectory.events import EventBase
from szagents.workspace.revisions import one_line

__all__ = ["ProgressPrinter"]


def _gbps(value: float | None) -> str:
    return f"{value:.3f}" if value is not None else "-"


class ProgressPrinter:
    """Observer for start_run/resume_run that prints what happens as it happens."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._baseline = False  # the validator's next run measures the starting code, not a submission

    def __call__(self, event: EventBase) -> None:
        line = getattr(self, f"_{event.event}", None)
        text = line(event) if line is not None else None
        if text is not None:
            self.console.print(text, highlight=False)

    def _run_start(self, e) -> str:  # noqa: ANN001 - events are typed by their discriminator
        state = "resumed" if e.resumed else "started"
        return f"[bold]{e.run_id}[/bold] {state}: {e.task_id}, team {e.team} ({', '.join(f'{r}={m}' for r, m in e.models.items())}), tier {e.tier}"

    def _llm_call(self, e) -> str:  # noqa: ANN001
        calls = ", ".join(c["name"] for c in e.response.get("tool_calls", [])) or "no tool call"
        return f"  {e.role} #{e.iteration}: {e.input_tokens}+{e.output_tokens} tokens, {e.latency_s:.2f} s -> {calls}"

    def _route(self, e) -> None:  # noqa: ANN001
        self._baseline = e.source == "__start__" and e.target == "validator"

    def _node_enter(self, e) -> str | None:  # noqa: ANN001
        if e.node != "validator":
            return None
        what = "the starting code (the baseline)" if self._baseline else "the submission"
        return f"  [dim]validator: compiling, validating and benchmarking {what} ...[/dim]"

    def _tool_call(self, e) -> str:  # noqa: ANN001
        # a submit's first line carries the whole one-line summary (at most 200 characters): shown in full
        first = one_line(e.output, limit=240 if e.tool == "submit" else 100)
        mark = "" if e.ok else "[red]![/red] "
        return f"    {mark}{e.tool}: {first}"

    def _revision(self, e) -> str:  # noqa: ANN001
        color = "green" if e.correct else "red"
        best = " [bold]best[/bold]" if e.is_best else ""
        return (f"  revision {e.number} [{color}]{e.verdict}[/{color}]{best}: comp {_gbps(e.compress_gbps)} / "
                f"dec {_gbps(e.decompress_gbps)} GB/s, ratio {_gbps(e.ratio)} - {e.action}"
                + (f" (same files as revision {e.reused_from}: result reused)" if e.reused_from else ""))

    def _comparison(self, e) -> str:  # noqa: ANN001
        return (f"  re-measured revisions {e.baseline} and {e.candidate} interleaved ({len(e.candidate_values)} rounds "
                f"each, {e.seconds:.1f} s): {e.objective} {_gbps(e.baseline_median)} vs {_gbps(e.candidate_median)}, "
                f"p = {_gbps(e.p_value)} -> {e.decision.replace('_', ' ')}")

    def _rollback(self, e) -> str:  # noqa: ANN001
        return f"  [yellow]rolled back[/yellow] revision {e.from_revision} -> {e.to_revision} ({e.reason})"

    def _error(self, e) -> str:  # noqa: ANN001
        color = "yellow" if e.kind in ("model_retry", "invalid_tool_call") else "red"
        return f"  [{color}]{e.kind}[/{color}]: {e.message}"

    def _run_end(self, e) -> str:  # noqa: ANN001
        best = (f"best revision {e.best_revision}: {_gbps(e.best_compress_gbps)} / {_gbps(e.best_decompress_gbps)} GB/s, "
                f"ratio {_gbps(e.best_ratio)}") if e.best_revision else "no correct revision"
        reason = f"{e.stop_reason}: {e.error_class}" if getattr(e, "error_class", None) else e.stop_reason
        return (f"[bold]stopped[/bold] ({reason}) after {sum(e.iterations.values())} LLM calls, "
                f"{e.input_tokens + e.output_tokens} tokens, {e.wall_seconds:.1f} s; {best}")
