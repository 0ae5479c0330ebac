"""Input checks shared by the reference codecs: arrays, bounds and stream lengths."""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from szagents.codecs.bounds import check_bound
from szagents.errors import InputError

__all__ = ["as_float_array", "float32_bound", "float_dtype", "check_count", "first_nonfinite"]

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def float_dtype(dtype: DTypeLike, allowed: tuple[np.dtype, ...] = _FLOAT_DTYPES) -> np.dtype:
    """Return dtype as a native numpy dtype if it is one of allowed, else raise InputError."""
    dt = np.dtype(dtype).newbyteorder("=")
    if dt not in allowed:
        names = " or ".join(d.name for d in allowed)
        raise InputError(f"dtype {np.dtype(dtype).name} is not supported; use {names}")
    return dt


def as_float_array(data: object, allowed: tuple[np.dtype, ...] = _FLOAT_DTYPES) -> np.ndarray:
    """Return data as a contiguous native-order 1D float array, else raise InputError.

    Non-1D input is rejected rather than flattened, so that the caller chooses the order
    (C or Fortran) in which a multi-dimensional field is laid out.
    """
    arr = np.asarray(data)
    if arr.dtype.kind != "f" or arr.dtype.newbyteorder("=") not in allowed:
        names = " or ".join(d.name for d in allowed)
        raise InputError(
            f"data has dtype {arr.dtype}; the codec takes {names}: convert it first, "
            f"e.g. data.astype(np.{allowed[0].name})"
        )
    if arr.ndim != 1:
        raise InputError(
            f"data has shape {arr.shape}; the codec takes a 1D array: pass data.ravel() "
            "(C order) or data.ravel(order='F')"
        )
    if arr.size == 0:
        raise InputError("data is empty; pass at least one value")
    return np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("="))


def float32_bound(eb: float) -> np.float32:
    """Check eb and round it to float32, as the kernel ABI passes it (a C float)."""
    check_bound(eb)
    with np.errstate(over="ignore", under="ignore"):
        eb32 = np.float32(eb)
    if not np.isfinite(eb32) or eb32 <= 0:
        raise InputError(
            f"error bound eb={eb!r} rounds to {float(eb32)!r} as a float32 (the kernels take eb "
            "as a C float); pass an eb between 1.4e-45 and 3.4e38"
        )
    return eb32


def check_count(n: int) -> int:
    """Return n as an int if it is a valid element count (>= 1), else raise InputError."""
    if isinstance(n, bool) or int(n) != n or int(n) < 1:
        raise InputError(f"n={n!r} is not a valid element count; pass the number of values (>= 1)")
    return int(n)


def first_nonfinite(x: np.ndarray) -> int | None:
    """Index of the first NaN/Inf in x, or None when every value is finite."""
    bad = ~np.isfinite(x)
    return int(np.argmax(bad)) if bad.any() else None
