"""Statistics on samples with known distributions: intervals cover the truth at about their level,
tests reject real differences and call equal distributions within noise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from szagents.analysis.stats import bootstrap_median, compare_rates, compare_samples, smallest_p_mann_whitney, wilson


def test_bootstrap_median_interval_covers_the_true_median_about_95_percent_of_the_time():
    """Lognormal(0, 0.3) has median 1; over 200 samples of 15 the 95 % interval covers it 85-100 % of the time."""
    rng = np.random.default_rng(7)
    intervals = [bootstrap_median(rng.lognormal(0.0, 0.3, 15), resamples=1000, seed=i) for i in range(200)]
    hits = sum(iv.low <= 1.0 <= iv.high for iv in intervals)
    assert 0.85 <= hits / 200 <= 1.0
    assert all(iv.low <= iv.estimate <= iv.high for iv in intervals)


def test_bootstrap_of_one_value_has_no_interval_and_of_none_no_estimate():
    """n=1 gives the value without bounds; NaNs are dropped; n=0 gives NaN."""
    one = bootstrap_median([2.5, math.nan])
    assert one.estimate == 2.5 and one.n == 1 and math.isnan(one.low)
    assert math.isnan(bootstrap_median([]).estimate)


def test_wilson_interval_matches_the_closed_form_and_covers_p():
    """Wilson bounds equal the textbook formula; for p=0.3, n=40 they cover p in about 95 % of draws."""
    k, n, z = 7, 20, 1.959963984540054
    centre, half = (k + z * z / 2) / (n + z * z), z * math.sqrt(k * (n - k) / n + z * z / 4) / (n + z * z)
    interval = wilson(k, n)
    assert interval.low == pytest.approx(centre - half) and interval.high == pytest.approx(centre + half)
    rng = np.random.default_rng(3)
    covered = [wilson(int(s), 40) for s in rng.binomial(40, 0.3, 400)]
    assert 0.9 <= sum(iv.low <= 0.3 <= iv.high for iv in covered) / 400 <= 0.99


def test_mann_whitney_finds_a_real_shift_and_cliffs_delta_has_its_sign():
    """Normal(1.0, 0.1) vs Normal(1.3, 0.1), 12 each: significant, B higher, delta near +1."""
    rng = np.random.default_rng(11)
    result = compare_samples(rng.normal(1.0, 0.1, 12), rng.normal(1.3, 0.1, 12), "best Tc", ("user", "expert"))
    assert result.p_value < 0.01 and not result.within_noise and result.effect > 0.8
    assert "expert is higher than user" in result.statement
    reverse = compare_samples(rng.normal(1.3, 0.1, 12), rng.normal(1.0, 0.1, 12), "best Tc")
    assert reverse.effect < -0.8 and "lower" in reverse.statement


def test_equal_distributions_are_within_noise_at_about_the_false_positive_rate():
    """Same distribution on both sides: at most ~5 % (here < 10 %) of 200 comparisons call a difference."""
    rng = np.random.default_rng(5)
    calls = [compare_samples(rng.gamma(2.0, 1.0, 10), rng.gamma(2.0, 1.0, 10), "x") for _ in range(200)]
    assert sum(not c.within_noise for c in calls) / 200 < 0.10


def test_three_repeats_can_never_be_significant_and_the_statement_says_so():
    """With n=3 vs 3 the exact test's smallest p is 0.1: even a 2x gap is within noise, with advice."""
    result = compare_samples([1.0, 1.1, 0.9], [2.0, 2.1, 1.9], "best Tc")
    assert smallest_p_mann_whitney(3, 3) == pytest.approx(0.1)
    assert result.p_value == pytest.approx(0.1) and result.within_noise and result.effect == 1.0
    assert "add repeats" in result.statement


def test_fisher_rates():
    """9/10 vs 1/10 is a real difference; 2/3 vs 1/3 is within noise."""
    assert not compare_rates(1, 10, 9, 10).within_noise
    small = compare_rates(2, 3, 1, 3)
    assert small.within_noise and small.effect == pytest.approx(-1 / 3)
