"""Reported times that no kernel can make shorter than what the trusted parent measured itself.

Per timed repetition the parent holds its own wall clock from sending `go` to receiving `done`
(the child synchronizes the whole device before answering, so work on any stream is inside it).
Before the kernel library was loaded, the same handshake around a null call was measured: its
median round trip is the allowance (a repetition pays a typical handshake, not the luckiest one),
half its interquartile range the typical excess. A repetition's bound is its wall time less the
allowance. The floor is taken on the median: the median bound less 5 % and less the typical excess
(capped at a quarter of it). The child's own
figures (CUPTI spans of all device work in each repetition's window where a trace exists, else CUDA
events on the ABI stream or the host clock around the call) are the per-repetition claims; where
their median falls below the floor, every claim is raised in proportion, so the median reported is
never below what the parent's clock allows, and a rare slow handshake (host noise) raises nothing.
On a GPU, where every repetition's input is on the device before the first `go`, work of several
repetitions packed into one call gains at most a quarter: the reported median is at least the claims'
mean over PACKING.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["Allowance", "repetition_times", "timing_summary", "claimed_number", "handshake_phases", "SLACK_FRACTION",
           "EXCESS_CAP", "PACKING"]

SLACK_FRACTION = 0.05
EXCESS_CAP = 0.25  # the typical handshake excess forgiven is at most this fraction of the bound
PACKING = 1.25  # GPU: the reported median is at least the claims' mean / PACKING (honest spreads stay far below)


class Allowance:
    """The null handshake's median round trip and half its interquartile range, measured before the kernel
    was loaded. The median, not the minimum: subtracting the luckiest handshake from every repetition left
    the typical handshake's noise in each bound, and short GPU calls were then reported at the parent's
    noisy clock rather than their own steady one."""

    def __init__(self, null_walls: Sequence[float]) -> None:
        walls = np.asarray(null_walls[2:] or null_walls or [0.0], dtype=np.float64)  # the first warm the path
        q1, median, q3 = np.percentile(walls, [25, 50, 75])
        self.seconds = float(median)
        self.excess = float(q3 - q1) / 2


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


def _claims(done: Sequence[dict[str, Any]], spans: Sequence[Any] | None) -> list[float]:
    """The trace's spans where there is one per repetition, else each `done`'s own figure."""
    if spans is not None and len(spans) == len(done):
        return [0.0 if (v := claimed_number(x)) is None else v for x in spans]
    return [_claim(m) for m in done]


def repetition_times(walls: Sequence[float], done: Sequence[dict[str, Any]], allowance: Allowance,
                     spans: Sequence[Any] | None = None,
                     packing: float | None = None) -> tuple[list[float], list[float], list[float], float, str]:
    """(reported, claimed, bound seconds per repetition, the floor on the median, the time source).
    packing: where a call could reach other repetitions' inputs (a GPU stages them all before the first
    `go`), the reported median is at least the claims' mean / packing."""
    claimed = _claims(done, spans)
    bounds = [max(w - allowance.seconds, 0.0) for w in walls]
    median_bound = float(np.median(bounds)) if bounds else 0.0
    excess = min(allowance.excess, EXCESS_CAP * median_bound)
    floor = max((1 - SLACK_FRACTION) * median_bound - excess, 0.0)
    packed = float(np.mean(claimed)) / packing if claimed and packing else 0.0
    target, source = max((floor, "bound"), (packed, "mean"))
    median = float(np.median(claimed)) if claimed else 0.0
    if median >= target:
        return claimed, claimed, bounds, floor, "claimed"
    if median > 0:
        return [c * target / median for c in claimed], claimed, bounds, floor, source
    return [max(c, target) for c in claimed], claimed, bounds, floor, source


PHASES = ("wake", "flush", "call", "settle", "reply")


def handshake_phases(sent: Sequence[float], walls: Sequence[float], done: Sequence[Any]) -> dict[str, float] | None:
    """Median microseconds of each part of a go -> done round trip: the child reading `go` (wake), its cache
    flush, the call, its device-wide synchronize (settle), and its answer leaving it (reply; reaching the parent where the channel has no
    timestamps). The
    child's marks are claims on the shared monotonic clock: a diagnosis of where the wall time goes, never a
    figure the reported time rests on. None where the child gave no usable marks, or the lists do not pair up."""
    if not len(sent) == len(walls) == len(done):
        return None
    rows = []
    for start, wall, message in zip(sent, walls, done):
        marks = message.get("marks") if isinstance(message, dict) else None
        if not isinstance(marks, list) or len(marks) != 4 or any(claimed_number(m) is None for m in marks):
            return None
        points = [start, *map(float, marks), start + wall]
        rows.append([(b - a) * 1e6 for a, b in zip(points, points[1:])])
    if not rows:
        return None
    return {name: round(float(v), 1) for name, v in zip(PHASES, np.median(np.asarray(rows), axis=0))}


def timing_summary(walls: Sequence[float], done: Sequence[dict[str, Any]], allowance: Allowance,
                   verified: int, spans: Sequence[Any] | None = None, packing: float | None = None,
                   warmup_calls: int | None = None) -> dict[str, Any]:
    """The Timing fields of one direction of one benchmark case."""
    reported, claimed, bounds, _, source = repetition_times(walls, done, allowance, spans, packing)
    values = np.asarray(reported)
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    walls_array = np.asarray(bounds)
    return {
        "median_seconds": float(median), "min_seconds": float(values.min()), "max_seconds": float(values.max()),
        "iqr_seconds": float(q3 - q1), "repetitions": len(reported),
        "cv": float(values.std() / values.mean()) if values.mean() > 0 else None,
        "host_cv": float(walls_array.std() / walls_array.mean()) if walls_array.mean() > 0 else None,
        "claimed_median_seconds": float(np.median(claimed)), "bound_median_seconds": float(np.median(bounds)),
        "time_source": source, "verified_repetitions": verified, "warmup_calls": warmup_calls,
        "handshake_seconds": allowance.seconds,
    }
