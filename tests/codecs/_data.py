"""Hypothesis strategies for codec inputs: smooth, constant, sparse and rough fields."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

SIZES = st.one_of(
    st.sampled_from([1, 2, 31, 32, 33, 127, 128, 129, 255, 1023, 1025, 4097]),
    st.integers(min_value=1, max_value=3000),
)
KINDS = ("smooth", "constant", "sparse", "rough")


def make_field(kind: str, n: int, scale: float, seed: int, dtype: np.dtype) -> np.ndarray:
    """A 1D field of n values of the given kind and magnitude, deterministic in seed."""
    rng = np.random.default_rng(seed)
    i = np.arange(n)
    if kind == "smooth":
        x = np.sin(i / 37.0) + 0.3 * np.cos(i / 5.3) + 1e-3 * rng.standard_normal(n)
    elif kind == "constant":
        x = np.full(n, rng.uniform(-1, 1))
    elif kind == "sparse":
        x = np.where(rng.random(n) < 0.1, rng.standard_normal(n), 0.0)
    else:
        x = rng.uniform(-1, 1, n)
    return (x * scale).astype(dtype)


@st.composite
def fields(draw, dtypes=(np.float32, np.float64)):
    """(data, eb) pairs with eb from tiny (near the codec's limits) to larger than the range."""
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    kind = draw(st.sampled_from(KINDS))
    n = draw(SIZES)
    scale = 10.0 ** draw(st.integers(min_value=-6, max_value=6))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    rel = 10.0 ** draw(st.floats(min_value=-9, max_value=1))
    return make_field(kind, n, scale, seed, dtype), rel * scale
