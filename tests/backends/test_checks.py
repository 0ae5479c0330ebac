"""The harness's array checks: ulp, the error bound with its slack, unwritten outputs."""

from __future__ import annotations

import numpy as np
import pytest

from szagents.backends.child import checks


@pytest.mark.parametrize(("dtype", "low", "high"), [(np.float32, -45, 38), (np.float64, -320, 307)])
def test_ulp_equals_numpy_spacing(dtype, low, high):
    """ulp from exponent bits equals numpy.spacing for zeros, subnormals, tiny normals and large values."""
    rng = np.random.default_rng(0)
    with np.errstate(over="ignore"):
        x = (rng.standard_normal(200_000) * 10.0 ** rng.integers(low, high, 200_000)).astype(dtype)
    info = np.finfo(dtype)
    x[:4] = [0.0, -0.0, info.tiny, info.smallest_subnormal]
    x = x[np.isfinite(x) & (np.abs(x) < info.max)]  # spacing(max) is inf: the next value overflows
    assert np.array_equal(checks.ulp(np, x), np.spacing(np.abs(x)).astype(np.float64))


def test_bound_report_finds_the_first_violation_across_chunks():
    """A violation in a later chunk is found with its global index, the count covers every chunk."""
    x = np.linspace(-1, 1, 3 * checks._CHUNK + 7, dtype=np.float32)
    y = x.copy()
    y[2 * checks._CHUNK + 5] += np.float32(0.01)
    y[-1] = np.nan
    report = checks.bound_report(np, x, y, 1e-3)
    assert report["violations"] == 2 and report["first"]["index"] == 2 * checks._CHUNK + 5
    assert report["first"]["error_over_eb"] == pytest.approx(10, rel=1e-3)
    ones = np.linspace(1, 2, 1000)  # float64, away from zero: x + eb + 3 ulp(x) rounds by < 1 ulp
    within = ones + 1e-3 + 3 * np.spacing(ones)
    assert checks.bound_report(np, ones, within, 1e-3)["violations"] == 0
    assert checks.bound_report(np, ones, within + 2 * np.spacing(ones), 1e-3)["violations"] == 1000


def test_unwritten_outputs_are_counted():
    """Outputs still holding the poison NaN bits are counted, with the first index."""
    out = checks.poisoned(np, 100, np.dtype(np.float32))
    out[:60] = 1.0
    count, first = checks.unwritten_count(np, out, np.zeros(100, np.float32))
    assert (count, first) == (40, 60)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bound_report_of_a_chunk_within_eb_equals_the_full_check(dtype):
    """Chunks whose every error is at most eb take a shorter path: the report is the full check's, chunk by chunk,
    whether the other chunks hold NaN, inf, violations within the slack, or nothing wrong at all."""
    rng = np.random.default_rng(3)
    n, eb = 2 * checks._CHUNK + 11, 1e-3
    x = rng.standard_normal(n).astype(dtype)
    y = (x + rng.uniform(-0.9 * eb, 0.9 * eb, n)).astype(dtype)  # within eb after rounding too
    y[checks._CHUNK + 3] = x[checks._CHUNK + 3] + dtype(eb) + np.spacing(x[checks._CHUNK + 3])  # within the slack
    x[-5:] = [np.nan, np.inf, -np.inf, 1.0, 2.0]
    y[-5:] = [np.nan, np.inf, np.inf, 1.0, np.nan]  # -inf -> inf and a lost value: 2 violations
    full = {"max_abs_error": 0.0, "violations": 0}
    for start in range(0, n, checks._CHUNK):
        with np.errstate(invalid="ignore"):  # inf - inf
            err, bad = checks._violations(np, x[start:start + checks._CHUNK], y[start:start + checks._CHUNK], eb)
        full = {"max_abs_error": max(full["max_abs_error"], float(err.max())),
                "violations": full["violations"] + int(bad.sum())}
    report = checks.bound_report(np, x, y, eb)
    assert (report["max_abs_error"], report["violations"]) == (full["max_abs_error"], full["violations"]) != (0.0, 0)
    first_chunk = np.abs(x[:checks._CHUNK].astype(np.float64) - y[:checks._CHUNK].astype(np.float64)).max()
    assert checks.bound_report(np, x[:checks._CHUNK], y[:checks._CHUNK], eb) == {  # the shorter path alone
        "max_abs_error": first_chunk, "violations": 0, "max_error_over_eb": first_chunk / eb} and 0 < first_chunk <= eb
    assert report["violations"] == 2 and report["first"]["index"] == n - 3


def _quality_whole_field(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """PSNR and NRMSE straight from their definitions, over the finite originals, in one float64 pass."""
    finite = np.isfinite(x.astype(np.float64))
    diff = x.astype(np.float64)[finite] - y.astype(np.float64)[finite]
    mse = float(np.mean(diff * diff))
    span = float(x[finite].max()) - float(x[finite].min())
    return 20 * np.log10(span) - 10 * np.log10(mse), np.sqrt(mse) / span


def test_quality_chunk_by_chunk_equals_the_whole_field():
    """PSNR and NRMSE over several chunks, with the range's ends and non-finite originals in different chunks, equal
    the one-pass definition (to rounding); identical fields are inf dB and a constant field -inf."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal(3 * checks._CHUNK + 11).astype(np.float32)
    x[5], x[2 * checks._CHUNK + 3] = -40.0, 55.0  # the range's ends, two chunks apart
    x[checks._CHUNK + 1], x[-2] = np.inf, np.nan  # skipped, as their errors are
    y = (x + rng.uniform(-1e-3, 1e-3, x.size)).astype(np.float32)
    psnr, nrmse = checks.quality(np, x, y)
    want_psnr, want_nrmse = _quality_whole_field(x, y)
    assert psnr == pytest.approx(want_psnr, rel=1e-12) and nrmse == pytest.approx(want_nrmse, rel=1e-12)
    assert checks.quality(np, x, x.copy()) == (np.inf, 0.0)
    flat = np.full(checks._CHUNK + 3, 2.5, dtype=np.float32)
    assert checks.quality(np, flat, flat + np.float32(0.1)) == (-np.inf, np.inf)
