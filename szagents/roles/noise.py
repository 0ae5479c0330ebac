"""Noise-aware decisions: is one revision really faster or slower than another?

Before the validator declares a new best or rolls a regression back, it re-measures both revisions
interleaved (A B B A A B ..., each round one full benchmark of each revision's stored files, so a
change in machine load hits both alike and a steady drift favours neither) and decides on the per-round objective values with a one-sided
exact Mann–Whitney test and the size of the change:

- `better`: the candidate's rounds rank above the baseline's with p <= alpha, and its median beats
  the baseline's by the policy's improvement margin;
- `worse`: the same downwards, by the policy's regression margin;
- `within_noise`: neither (the change is not larger than what the machine's spread explains);
- `failed`: a round could not be measured (no decision; nothing changes).

With 3 rounds each (the default), p <= 0.05 needs every candidate round above (below) every
baseline round: U = 0, exact one-sided p = 1/C(6, 3) = 0.05. One disturbed round (another job on
the machine) breaks that separation however large the change is, so when those rounds are
inconclusive but their medians already differ by the margin, `remeasure.interleaved` measures up
to 8 rounds each and tests the whole sample again at p <= 0.01 (one round below all 8 of the other
side still passes: p = 0.0052). Under the null (exchangeable rounds) the two looks together decide
"better" with probability about 0.054 by simulation, before the margin requirement lowers it.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["Comparison", "mann_whitney_greater", "spread", "decide"]

Decision = Literal["better", "worse", "within_noise", "failed"]


class Comparison(BaseModel):
    """Interleaved re-measurement of two revisions on the task's objective, and what it decided."""

    model_config = ConfigDict(frozen=True)

    baseline: int  # revision number (the current best)
    candidate: int  # revision number (the new submission)
    objective: str
    question: Literal["better", "worse"]  # what the single measurement suggested
    baseline_values: list[float]  # objective per round, in round order (GB/s)
    candidate_values: list[float]
    baseline_median: float | None = None
    candidate_median: float | None = None
    change: float | None = None  # candidate median / baseline median - 1
    baseline_cv: float | None = None  # spread of the rounds (std / mean)
    candidate_cv: float | None = None
    p_value: float | None = None  # one-sided, in the direction of `question`
    decision: Decision
    seconds: float = 0.0  # wall time the re-measurement took
    detail: str = ""

    def summary(self) -> str:
        """One line for the agent: medians, spread, p and the decision."""
        if self.decision == "failed":
            return f"re-measurement failed ({self.detail}); nothing was decided"
        return (f"interleaved re-measurement, {len(self.candidate_values)} rounds each: revision {self.candidate} "
                f"{self.candidate_median:.3f} vs revision {self.baseline} {self.baseline_median:.3f} GB/s "
                f"({self.objective}, {self.change:+.1%}; spread {self.candidate_cv:.1%} / {self.baseline_cv:.1%}; "
                f"one-sided Mann-Whitney p = {self.p_value:.3f}): {self.decision.replace('_', ' ')}")


def _u_greater(x: Sequence[float], y: Sequence[float]) -> float:
    """Mann–Whitney U of x over y: pairs with x above y, ties counting half."""
    return sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in x for b in y)


def mann_whitney_greater(x: Sequence[float], y: Sequence[float]) -> float:
    """Exact one-sided p that x is stochastically greater than y (all rank assignments enumerated; small samples)."""
    pooled, n = [*x, *y], len(x)
    observed = _u_greater(x, y)
    splits = list(itertools.combinations(range(len(pooled)), n))
    count = 0
    for chosen in splits:
        picked = set(chosen)
        xs = [pooled[i] for i in chosen]
        ys = [pooled[i] for i in range(len(pooled)) if i not in picked]
        count += _u_greater(xs, ys) >= observed - 1e-12
    return count / len(splits)


def spread(values: Sequence[float]) -> float | None:
    """Coefficient of variation (std / mean) of values; None for fewer than two."""
    if len(values) < 2 or statistics.fmean(values) <= 0:
        return None
    return statistics.stdev(values) / statistics.fmean(values)


def decide(
    baseline: int, candidate: int, objective: str, question: Literal["better", "worse"],
    baseline_values: Sequence[float], candidate_values: Sequence[float], *,
    improvement: float, regression: float, alpha: float,
) -> Comparison:
    """The decision on interleaved rounds (see the module docstring)."""
    fields = dict(baseline=baseline, candidate=candidate, objective=objective, question=question,
                  baseline_values=list(baseline_values), candidate_values=list(candidate_values))
    values = [*baseline_values, *candidate_values]
    if not baseline_values or not candidate_values or any(not (math.isfinite(v) and v > 0) for v in values):
        return Comparison(**fields, decision="failed", detail="a round gave no measurement")
    a, b = statistics.median(baseline_values), statistics.median(candidate_values)
    change = b / a - 1
    if question == "better":
        p = mann_whitney_greater(candidate_values, baseline_values)
        decision = "better" if p <= alpha and change >= improvement else "within_noise"
    else:
        p = mann_whitney_greater(baseline_values, candidate_values)
        decision = "worse" if p <= alpha and change <= -regression else "within_noise"
    return Comparison(**fields, baseline_median=a, candidate_median=b, change=change,
                      baseline_cv=spread(baseline_values) or 0.0, candidate_cv=spread(candidate_values) or 0.0,
                      p_value=p, decision=decision)
