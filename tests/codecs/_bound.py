"""The validator's acceptance rule, shared by the codec tests."""

from __future__ import annotations

import numpy as np


def assert_within_bound(x: np.ndarray, y: np.ndarray, eb: float) -> None:
    """Assert |x - y| <= eb32 + 4*ulp(|x|) elementwise (eb32 = eb as float32), the harness rule."""
    assert y.shape == x.shape and y.dtype == x.dtype
    eb32 = float(np.float32(eb))
    slack = 4 * np.spacing(np.abs(x)).astype(np.float64)
    err = np.abs(x.astype(np.float64) - y.astype(np.float64))
    bad = np.flatnonzero(~(err <= eb32 + slack))
    assert bad.size == 0, (
        f"{bad.size} values out of bound, first data[{bad[0]}]={x[bad[0]]!r} -> {y[bad[0]]!r}, "
        f"error {err[bad[0]]:.3g} > eb32 {eb32:.3g} + slack {slack[bad[0]]:.3g}"
    )
