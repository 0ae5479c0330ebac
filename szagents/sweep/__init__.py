"""Running agents: one run (start, resume), and studies (grids x repeats) on local threads, Ray or Slurm."""

from szagents.sweep.config import RunConfig
from szagents.sweep.local import LocalExecutor
from szagents.sweep.plan import Plan, plan_study
from szagents.sweep.run import RunOutcome, resume_run, start_run
from szagents.sweep.study import StudyFile, load_study

__all__ = ["LocalExecutor", "Plan", "RunConfig", "RunOutcome", "StudyFile", "load_study", "plan_study",
           "resume_run", "start_run"]
