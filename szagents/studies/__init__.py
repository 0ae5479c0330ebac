"""Studies: a grid (tasks x models x tiers x teams x targets) x repeats, planned against a ledger of runs and run on
local threads, Ray or Slurm, with one benchmarking slot per device (the slots themselves: szagents/tasks/slots.py)."""

from szagents.studies.grid import StudyFile, load_study
from szagents.studies.local import LocalExecutor
from szagents.studies.plan import Plan, plan_study

__all__ = ["LocalExecutor", "Plan", "StudyFile", "load_study", "plan_study"]
