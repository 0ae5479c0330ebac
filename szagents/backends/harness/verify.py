"""Verdicts, computed in the trusted parent from the raw outputs the children left in the arena.

DESIGN.md's rules: compress returns 0 and 1 <= out_bytes <= out_capacity without writing past it or
into its const input; the stream is the reference format where the task asks for it;
decompression of exactly those bytes (in another process, which never saw the input) writes
every element of a poisoned buffer, nothing past it, and stays within eb + 4 ulp in float64.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from szagents.backends.child import checks
from szagents.backends.child.claims import CallReport

__all__ = ["Failure", "compress_failure", "decode_failure", "status_name"]

_STATUS = {1: "SZ_ERR_ARGUMENT", 2: "SZ_ERR_CAPACITY", 3: "SZ_ERR_RANGE", 4: "SZ_ERR_FORMAT", 5: "SZ_ERR_DEVICE"}


@dataclass(frozen=True)
class Failure:
    """A classified failure: verdict, detail, and the first bound violation where there is one."""

    verdict: str
    detail: str
    violation: dict[str, Any] | None = None


def status_name(code: int) -> str:
    return f"{code} ({_STATUS[code]})" if code in _STATUS else str(code)


def compress_failure(call: CallReport, capacity: int, dst: np.ndarray, src: np.ndarray, after: np.ndarray,
                     expected: bytes | None) -> Failure | None:
    """The first broken rule of one compress call, or None."""
    status, nbytes = call.status, call.out_bytes
    if status != 0:
        return Failure("error_status", f"sz_compress returned {status_name(status)} on valid input")
    if not call.settled:
        return Failure("cheat_detected", "sz_compress returned while work hidden on another stream was still "
                       "writing its output; order all work on the stream the ABI passes")
    if not 0 < nbytes <= capacity:
        return Failure("size_error", f"sz_compress reported out_bytes={nbytes}, outside 1..out_capacity={capacity}")
    if bool((dst[capacity:] != checks.BYTE_POISON).any()):
        return Failure("size_error", f"sz_compress wrote past out_capacity={capacity}")
    if not np.array_equal(after, src):
        return Failure("cheat_detected", "sz_compress modified its const input buffer")
    if expected is not None and dst[:nbytes].tobytes() != expected:
        got = dst[:nbytes]
        limit = min(nbytes, len(expected))
        diff = int(np.argmax(got[:limit] != np.frombuffer(expected, np.uint8)[:limit])) if limit else 0
        if limit and got[diff] == expected[diff]:
            diff = limit
        return Failure("wrong_output", f"stream differs from the reference format at byte {diff} "
                       f"(length {nbytes}, reference {len(expected)})")
    return None


def _surely_within(original: np.ndarray, decoded: np.ndarray, eb: float) -> bool:
    """A fast, sound pre-check in the data's own precision: every |x - x'| <= eb (1 - 2^-20).

    The rounded difference is within a relative 2^-24 (2^-53) of the exact one, so passing it implies
    the float64 rule; anything else (NaN, inf, poison, values near the bound) takes the exact check.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        diff = np.abs(original - decoded)
        return bool((diff <= original.dtype.type(eb * (1 - 2.0 ** -20))).all())


def decode_failure(status: int, settled: bool, out: np.ndarray, original: np.ndarray, eb: float,
                   earlier: np.ndarray | None, stats: dict[str, float] | None = None) -> Failure | None:
    """The first broken rule of one decompress call (its status; settled: its output was final when the ABI's
    stream finished; out: n values + guard), or None.

    stats, when given, receives max_abs_error and max_error_over_eb of a correct decode.
    """
    n = int(original.size)
    if status != 0:
        return Failure("error_status", f"sz_decompress returned {status_name(status)} on the stream sz_compress wrote")
    if not settled:
        return Failure("cheat_detected", "sz_decompress returned while work hidden on another stream was still "
                       "writing its output; order all work on the stream the ABI passes")
    uint = np.uint32 if original.dtype == np.float32 else np.uint64
    if bool((out[n:].view(uint) != checks.poison_value(original.dtype)).any()):
        return Failure("size_error", f"sz_decompress wrote past the n={n} output elements")
    decoded = out[:n]
    if stats is None and _surely_within(original, decoded, eb):
        return None
    report = checks.bound_report(np, original, decoded, eb)
    unwritten, first = checks.unwritten_count(np, decoded, original)
    if not report["violations"] and not unwritten:
        if stats is not None:
            stats.update(max_abs_error=report["max_abs_error"], max_error_over_eb=report["max_error_over_eb"])
        return None
    if earlier is not None and checks.bound_report(np, earlier, decoded, eb)["violations"] == 0:
        return Failure("cheat_detected", "output belongs to an earlier input: results are cached, not computed")
    if unwritten:
        return Failure("unwritten_output", f"{unwritten} of {n} output elements were never written (first at index {first})")
    v = report["first"]
    return Failure("bound_violation",
                   f"{v['count']} of {n} values exceed eb={eb:g}; first at index {v['index']}: x={v['value']!r}, "
                   f"x'={v['reconstructed']!r}, |x-x'|/eb={v['error_over_eb']:.4g}", violation=v)
