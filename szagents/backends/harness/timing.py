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

Batches (GPU). A 25.9 MB call takes 25-70 us, about what one handshake costs, so a bound that pays a whole
handshake per call rests mostly on the parent's clock. There one `go` starts BATCH repetitions back to back:
each still opens its window, flushes the L2, calls, synchronizes the whole device and answers with its own
`done` (the next call's flush queued first, so the device flushes while the host answers: runner.py, _timed); the
parent's wall for the batch is shared out equally. The allowance for a call in a batch of k is
(the single null handshake's median + (k - 1) x the pace of a null call inside a batch) / k, the pace from
null batches of the same size measured before the library was loaded, interleaved with the single handshakes;
its typical excess is that of a single handshake or of a null batch, shared out the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from szagents.backends.child.claims import Done

__all__ = ["Allowance", "repetition_times", "timing_summary", "claimed_number", "handshake_phases", "SLACK_FRACTION",
           "EXCESS_CAP", "PACKING", "BATCH"]

SLACK_FRACTION = 0.05
EXCESS_CAP = 0.25  # the typical handshake excess forgiven is at most this fraction of the bound
PACKING = 1.25  # GPU: the reported median is at least the claims' mean / PACKING (honest spreads stay far below)
BATCH = 32  # GPU: repetitions one `go` starts back to back (the module's docstring, "Batches")


class Allowance:
    """The null handshake's median round trip and half its interquartile range, measured before the kernel
    was loaded. The median, not the minimum: subtracting the luckiest handshake from every repetition left
    the typical handshake's noise in each bound, and short GPU calls were then reported at the parent's
    noisy clock rather than their own steady one. batch_walls: null batches of `batch` calls (for_batch)."""

    def __init__(self, null_walls: Sequence[float], batch_walls: Sequence[float] = (), batch: int = 1) -> None:
        self.seconds, self.excess = _median_and_excess(null_walls[2:] or null_walls)  # the first warm the path
        self._batch = batch
        self._pace: float | None = None
        if batch > 1 and len(batch_walls):
            median, self._batch_excess = _median_and_excess(batch_walls)
            self._pace = max(median - self.seconds, 0.0) / (batch - 1)

    def for_batch(self, k: int) -> Allowance:
        """The allowance of one call in a batch of k (itself where k is 1 or no null batch was measured)."""
        if k <= 1 or self._pace is None:
            return self
        share = Allowance(())
        share.seconds = (self.seconds + (k - 1) * self._pace) / k
        share.excess = max(self.excess / k, self._batch_excess / self._batch)
        return share


def _median_and_excess(walls: Sequence[float]) -> tuple[float, float]:
    q1, median, q3 = np.percentile(np.asarray(walls or [0.0], dtype=np.float64), [25, 50, 75])
    return float(median), float(q3 - q1) / 2


def claimed_number(value: Any) -> float | None:
    """A child's numeric claim as a finite float >= 0, or None (not a number, a bool, NaN, too large)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int past the float range
        return None
    return number if np.isfinite(number) and number >= 0 else None


def _claim(done: Done) -> float:
    value = claimed_number(done.seconds)
    return 0.0 if value is None else value  # an absurd claim counts as none: the floor decides


def _claims(done: Sequence[Done], spans: Sequence[Any] | None) -> list[float]:
    """The trace's spans where there is one per repetition, else each `done`'s own figure."""
    if spans is not None and len(spans) == len(done):
        return [0.0 if (v := claimed_number(x)) is None else v for x in spans]
    return [_claim(m) for m in done]


def repetition_times(walls: Sequence[float], done: Sequence[Done], allowance: Allowance,
                     spans: Sequence[Any] | None = None, packing: float | None = None,
                     batches: Sequence[int] | None = None) -> tuple[list[float], list[float], list[float], float, str]:
    """(reported, claimed, bound seconds per repetition, the floor on the median, the time source).
    packing: where a call could reach other repetitions' inputs (a GPU stages them all before the first
    `go`), the reported median is at least the claims' mean / packing. batches: per repetition, how many
    calls its `go` started (its wall is already its share)."""
    claimed = _claims(done, spans)
    shares = [allowance.for_batch(k) for k in (batches if batches and len(batches) == len(walls) else [1] * len(walls))]
    bounds = [max(w - a.seconds, 0.0) for w, a in zip(walls, shares)]
    median_bound = float(np.median(bounds)) if bounds else 0.0
    typical = float(np.median([a.excess for a in shares])) if shares else allowance.excess
    excess = min(typical, EXCESS_CAP * median_bound)
    floor = max((1 - SLACK_FRACTION) * median_bound - excess, 0.0)
    packed = float(np.mean(claimed)) / packing if claimed and packing else 0.0
    target, source = max((floor, "bound"), (packed, "mean"))
    median = float(np.median(claimed)) if claimed else 0.0
    if median >= target:
        return claimed, claimed, bounds, floor, "claimed"
    if median > 0:
        return [c * target / median for c in claimed], claimed, bounds, floor, source
    return [max(c, target) for c in claimed], claimed, bounds, floor, source


PHASES = ("wake", "flush", "call", "settle", "between", "reply")


def handshake_phases(sent: Sequence[float], walls: Sequence[float], done: Sequence[Done],
                     batches: Sequence[int] | None = None) -> dict[str, float] | None:
    """Median microseconds of each part of a go -> done round trip: the child reading `go` (wake), its cache
    flush, the call, its device-wide synchronize (settle), in a batch the time from one call's synchronize to
    the next one's start (between: its `done` sent), and the last answer leaving it (reply; reaching the
    parent where the channel has no timestamps). The child's marks are claims on the shared monotonic clock:
    a diagnosis of where the wall time goes, never a figure the reported time rests on. None where the child
    gave no usable marks, or the lists do not pair up."""
    sizes = list(batches) if batches is not None else [1] * len(walls)
    if not len(sent) == len(walls) == len(done) == len(sizes):
        return None
    parts: dict[str, list[float]] = {name: [] for name in PHASES}
    i = 0
    while i < len(done):
        group = range(i, min(i + max(int(sizes[i]), 1), len(done)))
        marks = [done[j].marks for j in group]
        if any(not isinstance(m, list) or len(m) != 4 or any(claimed_number(x) is None for x in m) for m in marks):
            return None
        points = [[float(x) for x in m] for m in marks]
        end = sent[i] + sum(walls[j] for j in group)  # each wall is its share of the batch's
        parts["wake"].append(points[0][0] - sent[i])
        for j, p in enumerate(points):
            for name, (a, b) in zip(("flush", "call", "settle"), zip(p, p[1:])):
                parts[name].append(b - a)
            if j:
                parts["between"].append(p[0] - points[j - 1][3])
        parts["reply"].append(end - points[-1][3])
        i = group.stop
    if not parts["wake"]:
        return None
    return {name: round(float(np.median(v)) * 1e6, 1) for name, v in parts.items() if v}


def timing_summary(walls: Sequence[float], done: Sequence[Done], allowance: Allowance,
                   verified: int, spans: Sequence[Any] | None = None, packing: float | None = None,
                   warmup_calls: int | None = None, batches: Sequence[int] | None = None) -> dict[str, Any]:
    """The Timing fields of one direction of one benchmark case (handshake_seconds: the allowance of a call in
    the largest batch)."""
    reported, claimed, bounds, _, source = repetition_times(walls, done, allowance, spans, packing, batches)
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
        "handshake_seconds": allowance.for_batch(max(batches or [1])).seconds,
    }
