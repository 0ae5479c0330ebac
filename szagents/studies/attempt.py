"""One attempt at one run of a study: start it, resume it from its checkpoint, or start it over."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from szagents.run.config import RUN_FILE, RunConfig
from szagents.run.graph_run import resume_run, start_run
from szagents.run.outcome import RunOutcome
from szagents.trajectory import open_checkpointer

__all__ = ["has_checkpoint", "prepare_checkpointers", "run_or_resume", "run_remote"]


def has_checkpoint(config: RunConfig, run_dir: Path) -> bool:
    """Whether the run's checkpointer holds at least one checkpoint of its thread."""
    if config.checkpoint is None and not (run_dir / "checkpoints.sqlite").exists():
        return False
    with open_checkpointer(config.checkpoint, run_dir) as saver:
        return saver.get_tuple({"configurable": {"thread_id": config.run_id}}) is not None


def prepare_checkpointers(configs: Iterable[RunConfig]) -> None:
    """Create shared checkpointer tables once, before runs open them at the same time.

    PostgresSaver.setup() inserts its migration rows unguarded: two runs setting up a fresh
    database at once fail on a duplicate key. Per-run SQLite files need nothing.
    """
    for url in sorted({c.checkpoint for c in configs if c.checkpoint and "://" in c.checkpoint}):
        with open_checkpointer(url, Path(".")):
            pass


def run_or_resume(config: RunConfig, observer: Callable[[Any], None] | None = None) -> RunOutcome:
    """Start config's run; or resume it from its checkpoint; or, when it never checkpointed, start it over.

    A finished run is not run again (resume_run sees its final checkpoint and just reports). A resumed
    run takes the study's rate limits of now (they may have been changed between invocations).
    """
    run_dir = Path(config.runs_dir) / config.run_id
    if (run_dir / RUN_FILE).exists():
        saved = RunConfig.model_validate_json((run_dir / RUN_FILE).read_text())
        if has_checkpoint(saved, run_dir):
            return resume_run(run_dir, observer=observer, changes={"rate_limits": config.rate_limits})
    if run_dir.exists():  # a start that failed before its first checkpoint: nothing worth keeping
        shutil.rmtree(run_dir)
    return start_run(config, observer=observer)


def run_remote(config_json: str) -> dict[str, Any]:
    """In a Ray worker or a Slurm job: bring one run to its end; report how it ended (never raises)."""
    config = RunConfig.model_validate_json(config_json)
    try:
        outcome = run_or_resume(config)
        return {"run_id": config.run_id, "status": "done", "best": outcome.best is not None, "error": ""}
    except Exception as exc:  # reported to the driver, which retries or marks the run failed
        return {"run_id": config.run_id, "status": "failed", "best": False, "error": f"{type(exc).__name__}: {exc}"}
