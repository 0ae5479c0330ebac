"""Reported times that no kernel can make shorter than what the trusted parent measured itself.

Per timed repetition the parent holds its own wall clock from sending `go` to receiving `done`
(the child synchronizes the whole device before answering, so work on any stream is inside it).
Before the kernel library was loaded, the same handshake around a null call was measured: its
cheapest round trip is the allowance, its median excess over that the typical excess. The bound of
a repetition is its wall time less the allowance; its floor is the bound less 5 % and less the
typical excess (capped at a quarter of the bound). Every reported repetition time is the child's
own figure (CUDA events on the ABI stream, or the host clock around the call) raised to at least
that floor: a claim can never undercut the parent's clock by more than the handshake's own noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["Allowance", "repetition_times", "timing_summary", "claimed_number", "SLACK_FRACTION", "EXCESS_CAP"]

SLACK_FRACTION = 0.05
EXCESS_CAP = 0.25  # the typical handshake excess forgiven is at most this fraction of the bound


class Allowance:
    """The null handshake's cheapest round trip and its median excess, measured before the kernel was loaded."""

    def __init__(self, null_walls: Sequence[float]) -> None:
        walls = np.asarray(null_walls[2:] or null_walls or [0.0], dtype=np.float64)  # the first warm the path
        self.seconds = float(walls.min())
        self.excess = float(np.median(walls) - walls.min())


def claimed_number(value: Any) -> float | None:
    """A child's numeric claim as a finite float >= 0, or None (not a number, a bool, NaN, too large)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int past the float range
        return None
    return number if np.isfinite(number) and number >= 0 else None


def _claim(done: Any) -> float:
    value = claimed_number(done.get("seconds")) if isinstance(done, dict) else None
    return 0.0 if value is None else value  # a missing or absurd claim counts as none: the floor decides


def repetition_times(walls: Sequence[float], done: Sequence[dict[str, Any]],
                     allowance: Allowance) -> tuple[list[float], list[float], list[float], list[float]]:
    """(reported, claimed, bound, floor) seconds per repetition."""
    claimed = [_claim(m) for m in done]
    bounds = [max(w - allowance.seconds, 0.0) for w in walls]
    excess = min(allowance.excess, EXCESS_CAP * float(np.median(bounds)) if bounds else 0.0)
    floors = [max((1 - SLACK_FRACTION) * b - excess, 0.0) for b in bounds]
    reported = [max(c, f) for c, f in zip(claimed, floors)]
    return reported, claimed, bounds, floors


def timing_summary(walls: Sequence[float], done: Sequence[dict[str, Any]], allowance: Allowance,
                   verified: int) -> dict[str, Any]:
    """The Timing fields of one direction of one benchmark case."""
    reported, claimed, bounds, floors = repetition_times(walls, done, allowance)
    values = np.asarray(reported)
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    return {
        "median_seconds": float(median), "min_seconds": float(values.min()), "max_seconds": float(values.max()),
        "iqr_seconds": float(q3 - q1), "repetitions": len(reported),
        "cv": float(values.std() / values.mean()) if values.mean() > 0 else None,
        "claimed_median_seconds": float(np.median(claimed)), "bound_median_seconds": float(np.median(bounds)),
        "time_source": "claimed" if np.median(claimed) >= np.median(floors) else "bound",
        "verified_repetitions": verified,
    }
