"""Reported times that no kernel can make shorter than what the trusted parent measured itself.

Per timed repetition the parent holds its own wall clock from sending `go` to receiving `done`
(the child synchronizes the whole device before answering, so work on any stream is inside it).
Before the kernel library was loaded, the same handshake around a null call measured the
allowance: the cheapest round trip (plus, on a GPU, the L2 flush and synchronizations). The bound
of a repetition is its wall time less that allowance. The child's own figure (CUDA events on the
ABI stream, or the host clock around the call) is reported when it is consistent with the bound,
that is no shorter than the bound less the handshake's jitter and 5 %; otherwise the bound is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["Allowance", "repetition_times", "timing_summary", "SLACK_FRACTION"]

SLACK_FRACTION = 0.05


class Allowance:
    """The null handshake's cost (min) and jitter (p90 - min), measured before the kernel was loaded."""

    def __init__(self, null_walls: Sequence[float]) -> None:
        walls = np.asarray(null_walls[2:] or null_walls or [0.0], dtype=np.float64)  # the first warm the path
        self.seconds = float(walls.min())
        self.jitter = float(np.percentile(walls, 90) - walls.min())


def _claim(done: dict[str, Any]) -> float:
    value = done.get("seconds")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value) and value >= 0:
        return float(value)
    return 0.0  # a missing or absurd claim counts as none: the bound decides


def repetition_times(walls: Sequence[float], done: Sequence[dict[str, Any]], allowance: Allowance) -> tuple[list[float], list[float], list[float], int]:
    """(reported, claimed, bound) seconds per repetition and how many were set by the bound."""
    reported, claimed, bounds, by_bound = [], [], [], 0
    for wall, message in zip(walls, done):
        claim, bound = _claim(message), max(wall - allowance.seconds, 0.0)
        trusted = claim >= bound - allowance.jitter - SLACK_FRACTION * bound
        reported.append(claim if trusted and claim > 0 else bound)
        by_bound += not (trusted and claim > 0)
        claimed.append(claim)
        bounds.append(bound)
    return reported, claimed, bounds, by_bound


def timing_summary(walls: Sequence[float], done: Sequence[dict[str, Any]], allowance: Allowance,
                   verified: int) -> dict[str, Any]:
    """The Timing fields of one direction of one benchmark case."""
    reported, claimed, bounds, by_bound = repetition_times(walls, done, allowance)
    values = np.asarray(reported)
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    return {
        "median_seconds": float(median), "min_seconds": float(values.min()), "max_seconds": float(values.max()),
        "iqr_seconds": float(q3 - q1), "repetitions": len(reported),
        "cv": float(values.std() / values.mean()) if values.mean() > 0 else None,
        "claimed_median_seconds": float(np.median(claimed)), "bound_median_seconds": float(np.median(bounds)),
        "time_source": "bound" if by_bound * 2 > len(reported) else "claimed", "verified_repetitions": verified,
    }
