"""`run` and `resume` as the user sees them: live progress, and a closing line that says what to do next."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from szagents.cli.errors import EXIT_INCORRECT, EXIT_OK, EXIT_PROVIDER, Terminated
from szagents.cli.progress import ProgressPrinter

__all__ = ["drive", "drive_resume"]


def _resume_hint(run_dir: Path) -> str:
    return f"szagents resume {run_dir}"


def _guard(console: Console, run_dir: Path, go: Any) -> int:
    """Run go(); on interruption or a provider failure, say how to resume and return the exit code."""
    from szagents.models.calls import ProviderError

    try:
        outcome = go()
    except KeyboardInterrupt as exc:
        if not run_dir.exists():
            raise
        why = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
        console.print(f"[yellow]{why}[/yellow]: the run stopped at its last checkpoint; continue with:", highlight=False)
        console.print(f"  {_resume_hint(run_dir)}", soft_wrap=True, highlight=False)  # a command to copy: never wrapped
        return 143 if isinstance(exc, Terminated) else 130
    except ProviderError as exc:
        if not run_dir.exists():
            raise  # failed before anything was spent: no run folder, the message says it all
        console.print(f"[red]error:[/red] {exc}\n  the run stopped at its last checkpoint; after fixing it, continue "
                      "with (options --base-url, --api, --budget may change):", highlight=False)
        console.print(f"  {_resume_hint(run_dir)}", soft_wrap=True, highlight=False)  # a command to copy: never wrapped
        return EXIT_PROVIDER
    if outcome.already_finished:
        reason = outcome.state.get("stop_reason") or "finished"
        console.print(f"run {outcome.run_id} already finished ({reason}); nothing to resume. Start a new run with "
                      "`szagents run`, or read it with `szagents report`.", highlight=False)
    else:
        console.print(f"run folder: {outcome.run_dir}", highlight=False)
    return EXIT_OK if outcome.best else EXIT_INCORRECT


def drive(console: Console, config: Any) -> int:
    """Start config's run with a progress view; the exit code."""
    from szagents.run.graph_run import start_run

    config = config.model_copy(update={"run_id": config.resolved_run_id()})
    run_dir = Path(config.runs_dir) / config.run_id
    return _guard(console, run_dir, lambda: start_run(config, observer=ProgressPrinter(console)))


def drive_resume(console: Console, run_dir: Path, changes: dict[str, Any]) -> int:
    """Resume run_dir (with changed options) with a progress view; the exit code."""
    from szagents.run.graph_run import resume_run

    return _guard(console, Path(run_dir), lambda: resume_run(run_dir, observer=ProgressPrinter(console), changes=changes))
