"""Running agents: one run (start, resume) now; experiment grids and executors next."""

from szagents.sweep.config import RunConfig
from szagents.sweep.run import RunOutcome, resume_run, start_run

__all__ = ["RunConfig", "RunOutcome", "resume_run", "start_run"]
