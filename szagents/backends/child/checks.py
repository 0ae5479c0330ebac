"""Array checks of the harness: poison patterns, the error bound, unwritten outputs, quality."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "poison",
    "BYTE_POISON",
    "STALE_POISON",
    "GUARD_BYTES",
    "GUARD_ELEMENTS",
    "ULP_SLACK",
    "poison_value",
    "poisoned",
    "bound_report",
    "unwritten_count",
    "quality",
    "ulp",
]

BYTE_POISON = 0xA5  # fills fresh byte buffers and guards
STALE_POISON = 0x5A  # overwrites the compressor's output buffer before decompression
GUARD_BYTES = 1 << 16  # canary after out_capacity, and poison after the exact-size stream copy
GUARD_ELEMENTS = 1024  # canary after the n decompressed values
ULP_SLACK = 4  # documented slack: |x - x'| <= eb + 4 ulp(|x|) in the data's precision

# Quiet NaNs with payloads no arithmetic produces: unwritten outputs keep exactly these bits.
_POISON_BITS = {np.dtype(np.float32): 0x7FEDBEEF, np.dtype(np.float64): 0x7FFDBEEFDEADBEEF}
_UINT = {np.dtype(np.float32): np.uint32, np.dtype(np.float64): np.uint64}


def poison_value(dtype: np.dtype) -> Any:
    """The poison element of dtype as its unsigned-integer bit pattern."""
    return _UINT[np.dtype(dtype)](_POISON_BITS[np.dtype(dtype)])


def poisoned(xp: Any, n: int, dtype: np.dtype) -> Any:
    """A float array of n elements whose every element is the poison NaN."""
    bits = xp.full(n, poison_value(dtype), dtype=_UINT[np.dtype(dtype)])
    return bits.view(dtype)


def poison(out: np.ndarray) -> None:
    """Fill a host float array with the poison NaN in place (no temporary)."""
    out.view(_UINT[np.dtype(out.dtype)]).fill(poison_value(out.dtype))


def unwritten_count(xp: Any, out: Any, original: Any) -> tuple[int, int]:
    """(count, first index) of outputs still holding the poison bits where the input did not."""
    uint = _UINT[np.dtype(out.dtype)]
    marker = poison_value(out.dtype)
    mask = (out.view(uint) == marker) & (original.view(uint) != marker)
    count = int(mask.sum())
    return count, (int(xp.argmax(mask)) if count else -1)


_CHUNK = 1 << 20  # host checks run chunk by chunk: small float64 temporaries stay in cache


def _violations(xp: Any, original: Any, out: Any, eb: float) -> tuple[Any, Any]:
    """(per-element |x - x'| in float64, mask of elements outside eb + slack) for one chunk."""
    x = original.astype(np.float64)
    y = out.astype(np.float64)
    finite = xp.isfinite(x)
    err = xp.where(finite, xp.abs(x - y), 0.0)
    err = xp.where(xp.isnan(err), xp.inf, err)
    tol = eb + ULP_SLACK * ulp(xp, original)
    # Non-finite inputs must come back as the same class: NaN as NaN, inf as the same inf.
    nonfinite_bad = ~finite & ~((xp.isnan(x) & xp.isnan(y)) | (x == y))
    return err, (finite & (err > tol)) | nonfinite_bad


def _first(original: Any, out: Any, index: int, eb: float, count: int) -> dict[str, Any]:
    value, rebuilt = float(original[index]), float(out[index])
    abs_error = abs(value - rebuilt) if math.isfinite(value) else math.inf
    abs_error = abs_error if not math.isnan(abs_error) else math.inf
    return {"index": index, "value": value, "reconstructed": rebuilt, "abs_error": abs_error,
            "error_over_eb": abs_error / eb if math.isfinite(abs_error) else math.inf, "count": count}


def bound_report(xp: Any, original: Any, out: Any, eb: float) -> dict[str, Any]:
    """Max error over eb and the first violation of |x - x'| <= eb + slack (float64 math)."""
    step = _CHUNK if xp is np else max(int(original.size), 1)  # one pass on a GPU
    max_error, violations, first = 0.0, 0, -1
    for start in range(0, int(original.size), step):
        x, y = original[start:start + step], out[start:start + step]
        with np.errstate(invalid="ignore"):  # an output may hold any bits: a signalling NaN is a violation, not a warning
            top = float(xp.abs(x.astype(np.float64) - y.astype(np.float64)).max())
            if top <= eb:  # every value finite and within eb (a NaN fails the comparison): nothing else to find
                max_error = max(max_error, top)
                continue
            err, bad = _violations(xp, x, y, eb)
        max_error = max(max_error, float(err.max()))
        count = int(bad.sum())
        if count and first < 0:
            first = start + int(xp.argmax(bad))
        violations += count
    report: dict[str, Any] = {"max_abs_error": max_error, "violations": violations,
                              "max_error_over_eb": max_error / eb}
    if violations:
        report["first"] = _first(original, out, first, eb, violations)
    return report


_LAYOUT = {  # dtype: (unsigned type, exponent mask, mantissa bits)
    np.dtype(np.float32): (np.uint32, 0x7F800000, 23),
    np.dtype(np.float64): (np.uint64, 0x7FF0000000000000, 52),
}


def ulp(xp: Any, values: Any) -> Any:
    """Unit in the last place of |values| in their own precision, as float64 (= numpy.spacing).

    Built from the biased exponent E with integer ops (fast on numpy and cupy): the bit pattern
    (E - m) << m when E > m (a normal ulp), 1 << (E - 1) when 0 < E <= m (a subnormal ulp), 1 for
    zero and subnormals; m is the number of mantissa bits.
    """
    uint, exponent_mask, mantissa = _LAYOUT[np.dtype(values.dtype)]
    m = uint(mantissa)
    e = (values.view(uint) & uint(exponent_mask)) >> m
    normal = (xp.maximum(e, m) - m) << m
    subnormal = uint(1) << (xp.maximum(e, uint(1)) - uint(1))
    bits = xp.where(e > m, normal, subnormal)
    return bits.view(values.dtype).astype(np.float64)


def quality(xp: Any, original: Any, out: Any) -> tuple[float, float]:
    """(PSNR in dB, NRMSE) over the finite values, relative to the value range (float64 math; on the host chunk by
    chunk, as bound_report: whole-field float64 temporaries took 2.3 times the CPU on 6.5 M values, 2026-12-07)."""
    step = _CHUNK if xp is np else max(int(original.size), 1)
    count, squares, low, high = 0, 0.0, math.inf, -math.inf
    for start in range(0, int(original.size), step):
        x = original[start:start + step].astype(np.float64)
        finite = xp.isfinite(x)
        with np.errstate(invalid="ignore"):  # inf - inf where the original is not finite: masked out
            diff = xp.where(finite, x - out[start:start + step].astype(np.float64), 0.0)
        count += int(finite.sum())
        squares += float((diff * diff).sum())
        kept = x[finite]
        if kept.size:
            low, high = min(low, float(kept.min())), max(high, float(kept.max()))
    mse = squares / max(count, 1)
    value_range = high - low if count else 0.0
    if mse == 0.0:
        return math.inf, 0.0
    if value_range == 0.0:
        return -math.inf, math.inf
    return 20 * math.log10(value_range) - 10 * math.log10(mse), math.sqrt(mse) / value_range
