"""Failure modes, iteration phases and the tolerant readers of backend-specific measurement fields."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from szagents.tiers import TIERS
from szagents.trajectory import BenchmarkCase, Verdict

__all__ = [
    "FAILURE_MODES",
    "PHASES",
    "failure_mode",
    "call_action",
    "exec_time_s",
    "as_float",
    "tier_rank",
]

FAILURE_MODES = (
    "compile error", "runtime crash", "hang/timeout", "bound violation", "size/format error",
    "cheat detected", "budget exhausted", "zero execution time",
)
"""The failure taxonomy, in report order; verdicts outside it are reported as 'other'."""

PHASES = ("editing", "compiling", "debugging", "tuning", "other")
"""Where an LLM call went: see `call_action` and the loader's phase rule."""

_VERDICT_MODES = {
    "compile_error": "compile error", "abi_error": "compile error", "link_error": "compile error",
    "crash": "runtime crash", "error_status": "runtime crash", "runtime_error": "runtime crash",
    "timeout": "hang/timeout", "stall": "hang/timeout", "hang": "hang/timeout",
    "bound_violation": "bound violation", "unwritten_output": "bound violation",
    "size_error": "size/format error", "wrong_output": "size/format error", "format_error": "size/format error",
    "cheat_detected": "cheat detected", "timing_evaded": "cheat detected",  # work off the timed clock
    "zero_exec_time": "zero execution time",
    "ratio_regression": "ratio regression",  # below the task's ratio floor (not a compressor of its kind)
}

# Field names a backend may use for the runtime-reported execution time (Cerebras); first found wins.
_EXEC_KEYS = ("exec_time_s", "execution_time_s", "exec_seconds", "execution_seconds", "exec_time")

_EDIT_TOOLS = {"write_file", "edit_file", "replace_in_file", "apply_patch", "create_file", "delete_file"}
_BUILD_TOOLS = {"compile", "validate", "benchmark", "profile", "shell", "run"}


def failure_mode(verdict: Verdict | str | None, exec_time: float = math.nan) -> str | None:
    """The failure mode of a revision verdict (None when it passed and ran for a non-zero time)."""
    if verdict in (None, "", "ok"):
        return "zero execution time" if exec_time == 0 else None
    return _VERDICT_MODES.get(str(verdict), "other")  # a Verdict (StrEnum) is its value


def call_action(tool_names: Iterable[str]) -> str:
    """What one LLM call asked for: editing (writes files), compiling (runs the harness), submitting, reading, stopping."""
    names = set(tool_names)
    if not names:
        return "stopping"
    if names & _EDIT_TOOLS:
        return "editing"
    if any(n in _BUILD_TOOLS or n.startswith(("compile", "validate", "benchmark", "profile")) for n in names):
        return "compiling"
    if "submit" in names:
        return "submitting"
    return "reading"


def tier_rank(tier: str) -> int:
    """Position of a tier in TIERS (unknown tiers after the known ones)."""
    return TIERS.index(tier) if tier in TIERS else len(TIERS)


def as_float(value: Any) -> float:
    """value as a float; NaN for None, strings that are not numbers, and anything else."""
    if isinstance(value, bool) or value is None:
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def exec_time_s(case: BenchmarkCase | None, *extras: Mapping[str, Any] | None) -> float:
    """The device execution time (s): a field an event carries beyond its schema (extras, first found wins), else
    the case's cycle-counted timings; NaN if neither.

    Cerebras benchmark cases carry `compress_cycles` and the compress/decompress timings made from
    them; their medians add up to the execution time of one compress + decompress.
    """
    for source in extras:
        for key in _EXEC_KEYS:
            if source and source.get(key) is not None:
                return as_float(source[key])
    if case is not None and case.compress_cycles is not None:
        return as_float(case.compress.median_seconds) + as_float(case.decompress.median_seconds)
    return math.nan
