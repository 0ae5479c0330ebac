"""Statistics over repeats: bootstrap intervals, Wilson intervals, two-sample tests with effect sizes.

A study's claims rest on few repeats per cell (3-5), so every number here carries its n, and a
comparison says "within noise" when its test cannot tell the cells apart at the chosen level,
including when n is too small for any difference to be detectable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict
from scipy import stats as sps

__all__ = ["Interval", "Comparison", "bootstrap_median", "wilson", "compare_samples", "compare_rates",
           "smallest_p_mann_whitney"]

CONFIDENCE = 0.95
ALPHA = 0.05


class Interval(BaseModel):
    """An estimate with a confidence interval over n observations (NaN bounds when n is too small)."""

    model_config = ConfigDict(frozen=True)

    estimate: float
    low: float
    high: float
    n: int
    confidence: float = CONFIDENCE

    def text(self, digits: int = 3, percent: bool = False) -> str:
        """'0.446 [0.401, 0.470] n=3' (or percentages)."""
        if self.n == 0 or math.isnan(self.estimate):
            return f"— n={self.n}"
        f = (lambda v: f"{v:.0%}") if percent else (lambda v: f"{v:.{digits}g}")
        bounds = f" [{f(self.low)}, {f(self.high)}]" if not math.isnan(self.low) else ""
        return f"{f(self.estimate)}{bounds} n={self.n}"


def _finite(values: Sequence[float]) -> np.ndarray:
    data = np.asarray(values, dtype=float)
    return data[np.isfinite(data)]


def bootstrap_median(values: Sequence[float], confidence: float = CONFIDENCE, resamples: int = 4000,
                     seed: int = 0) -> Interval:
    """Median and its percentile-bootstrap interval (fixed seed: reports are reproducible); n<2 has no interval."""
    data = _finite(values)
    if data.size == 0:
        return Interval(estimate=math.nan, low=math.nan, high=math.nan, n=0, confidence=confidence)
    median = float(np.median(data))
    if data.size < 2 or np.ptp(data) == 0:
        low = high = median if data.size >= 2 else math.nan
        return Interval(estimate=median, low=low, high=high, n=int(data.size), confidence=confidence)
    result = sps.bootstrap((data,), np.median, confidence_level=confidence, n_resamples=resamples,
                           method="percentile", random_state=np.random.default_rng(seed))
    ci = result.confidence_interval
    return Interval(estimate=median, low=float(ci.low), high=float(ci.high), n=int(data.size), confidence=confidence)


def wilson(successes: int, n: int, confidence: float = CONFIDENCE) -> Interval:
    """A success rate with its Wilson score interval."""
    if n == 0:
        return Interval(estimate=math.nan, low=math.nan, high=math.nan, n=0, confidence=confidence)
    ci = sps.binomtest(int(successes), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return Interval(estimate=successes / n, low=float(ci.low), high=float(ci.high), n=int(n), confidence=confidence)


class Comparison(BaseModel):
    """Cell B against cell A on one metric: medians, effect size, test, and a plain-words verdict."""

    model_config = ConfigDict(frozen=True)

    metric: str
    label_a: str
    label_b: str
    n_a: int
    n_b: int
    estimate_a: float  # median (or rate)
    estimate_b: float
    effect: float  # Cliff's delta for samples (-1..1, >0: B larger); difference of rates for rates
    effect_name: str
    test: str
    p_value: float
    within_noise: bool
    statement: str


def smallest_p_mann_whitney(n_a: int, n_b: int) -> float:
    """The smallest two-sided p an exact Mann-Whitney test can give with these sample sizes."""
    return min(1.0, 2.0 / math.comb(n_a + n_b, n_a)) if n_a and n_b else 1.0


def _verdict(metric: str, a: str, b: str, p: float, floor: float, alpha: float, larger: bool) -> tuple[bool, str]:
    if math.isnan(p):
        return True, f"{metric}: not enough runs to compare {b} with {a}"
    if p >= alpha:
        why = f" (with these n the smallest possible p is {floor:.2g}: add repeats)" if floor >= alpha else ""
        return True, f"{metric}: {b} vs {a} is within noise (p={p:.2g}){why}"
    return False, f"{metric}: {b} is {'higher' if larger else 'lower'} than {a} (p={p:.2g})"


def compare_samples(a: Sequence[float], b: Sequence[float], metric: str, labels: tuple[str, str] = ("A", "B"),
                    alpha: float = ALPHA) -> Comparison:
    """Two-sided Mann-Whitney U test (exact for small samples) and Cliff's delta of B against A."""
    xa, xb = _finite(a), _finite(b)
    if xa.size == 0 or xb.size == 0:
        p = delta = math.nan
    else:
        u_b = sps.mannwhitneyu(xb, xa, alternative="two-sided").statistic  # U of B: pairs where B wins (ties 1/2)
        delta = 2.0 * u_b / (xa.size * xb.size) - 1.0
        p = 1.0 if np.array_equal(np.sort(xa), np.sort(xb)) else float(
            sps.mannwhitneyu(xb, xa, alternative="two-sided", method="auto").pvalue)
    noise, text = _verdict(metric, *labels, p, smallest_p_mann_whitney(xa.size, xb.size), alpha, delta > 0)
    return Comparison(metric=metric, label_a=labels[0], label_b=labels[1], n_a=int(xa.size), n_b=int(xb.size),
                      estimate_a=float(np.median(xa)) if xa.size else math.nan,
                      estimate_b=float(np.median(xb)) if xb.size else math.nan, effect=delta,
                      effect_name="Cliff's delta", test="Mann-Whitney U (two-sided)", p_value=p,
                      within_noise=noise, statement=text)


def compare_rates(k_a: int, n_a: int, k_b: int, n_b: int, metric: str = "success rate",
                  labels: tuple[str, str] = ("A", "B"), alpha: float = ALPHA) -> Comparison:
    """Fisher's exact test on two success counts; effect: difference of the rates (B - A)."""
    if not n_a or not n_b:
        p, diff = math.nan, math.nan
    else:
        p = float(sps.fisher_exact([[k_a, n_a - k_a], [k_b, n_b - k_b]]).pvalue)
        diff = k_b / n_b - k_a / n_a
    floor = float(sps.fisher_exact([[n_a, 0], [0, n_b]]).pvalue) if n_a and n_b else 1.0
    noise, text = _verdict(metric, *labels, p, floor, alpha, diff > 0)
    return Comparison(metric=metric, label_a=labels[0], label_b=labels[1], n_a=n_a, n_b=n_b,
                      estimate_a=k_a / n_a if n_a else math.nan, estimate_b=k_b / n_b if n_b else math.nan,
                      effect=diff, effect_name="rate difference", test="Fisher exact (two-sided)", p_value=p,
                      within_noise=noise, statement=text)
