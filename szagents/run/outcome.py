"""What a run leaves: RunOutcome (its folder and final state) and its saved RunConfig (run.json)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from szagents.errors import TaskError
from szagents.run.config import RUN_FILE, RunConfig

__all__ = ["RunOutcome", "load_config"]


@dataclass(frozen=True)
class RunOutcome:
    """Where a run lives and the state it ended in."""

    run_dir: Path
    run_id: str
    state: dict[str, Any]
    already_finished: bool = False  # resume found the run finished and did nothing

    @property
    def best(self) -> dict[str, Any] | None:
        """Summary of the best correct revision, if any."""
        return next((r for r in self.state.get("revisions", []) if r["number"] == self.state.get("best")), None)


def load_config(run_dir: Path, changes: dict[str, Any] | None = None) -> RunConfig:
    """The run.json of run_dir, with changes (base_url, budgets, api, timeouts) applied and saved."""
    path = Path(run_dir) / RUN_FILE
    if not path.exists():
        raise TaskError(f"{run_dir} is not a run folder (no {RUN_FILE}); pass the folder `szagents run` created")
    config = RunConfig.model_validate_json(path.read_text())
    if changes:
        config = RunConfig.model_validate({**config.model_dump(), **changes})
        path.write_text(config.model_dump_json(indent=2))
    return config
