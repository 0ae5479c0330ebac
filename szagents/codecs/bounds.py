"""Error-bound arithmetic done by szagents, never by kernels."""

from __future__ import annotations

import numpy as np

from szagents.errors import InputError

__all__ = ["absolute_bound", "check_bound"]


def check_bound(eb: float) -> float:
    """Return eb as a float if it is a finite positive absolute bound, else raise InputError."""
    value = float(eb)
    if not np.isfinite(value) or value <= 0.0:
        raise InputError(
            f"error bound eb={eb!r} is not a finite positive number; pass an absolute bound > 0 "
            "(or a relative one through absolute_bound(data, rel))"
        )
    return value


def absolute_bound(data: np.ndarray, rel: float) -> float:
    """eb = rel x (max - min) over the finite values of data, as cuSZp's and SZx's REL modes."""
    check_bound(rel)
    finite = np.asarray(data)[np.isfinite(data)]
    if finite.size == 0:
        raise InputError("cannot derive a relative bound: the data has no finite values")
    value_range = float(finite.max()) - float(finite.min())
    if value_range == 0.0:
        raise InputError(
            "cannot derive a relative bound from constant data (range 0 gives eb = 0); "
            "pass an absolute bound instead"
        )
    return rel * value_range
