"""Run folders' trajectories as tidy DataFrames: the one place analysis reads logs (and reference throughputs)."""

from szagents.analysis.loading.reference import REFERENCE_TEAM, load_reference, reference_fractions, reference_from_runs
from szagents.analysis.loading.runs import CONFIG_COLUMNS, Runs, find_run_dirs, load_runs
from szagents.analysis.loading.taxonomy import FAILURE_MODES, PHASES, failure_mode

__all__ = ["CONFIG_COLUMNS", "FAILURE_MODES", "PHASES", "REFERENCE_TEAM", "Runs", "failure_mode", "find_run_dirs",
           "load_reference", "load_runs", "reference_fractions", "reference_from_runs"]
