"""The C kernels write the same bytes as the numpy reference codecs and read them back in bound."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from szagents.codecs import get_codec
from szagents.errors import InputError
from tests.kernels.conftest import (
    BUILDS,
    SZ_ERR_RANGE,
    SZ_OK,
    SZX_BUILDS,
    assert_within_bound,
    max_bytes,
)

SIZES = (1, 31, 33, 127, 129, 100003)
KINDS = ("smooth", "rough", "sparse", "constant", "zeros")
FAMILIES = ("szp_plain", "szp_outlier", "szx")


def make_field(kind: str, n: int, dtype, seed: int = 0, scale: float = 1.0) -> np.ndarray:
    """A deterministic 1D test field: smooth, rough (uniform noise), sparse, constant or zeros."""
    rng = np.random.default_rng(seed)
    i = np.arange(n)
    if kind == "smooth":
        x = 20 + np.sin(i / 41.0) + 0.2 * np.cos(i / 3.7) + 1e-3 * rng.standard_normal(n)
    elif kind == "rough":
        x = rng.uniform(-1, 1, n)
    elif kind == "sparse":
        x = np.where(rng.random(n) < 0.05, rng.standard_normal(n), 0.0)
    elif kind == "constant":
        x = np.full(n, 3.25)
    else:
        x = np.zeros(n)
    return (x * scale).astype(dtype)


@functools.lru_cache(maxsize=None)
def _numpy_stream(family: str, kind: str, n: int, dtype: str, eb: float) -> bytes:
    name, options = BUILDS[f"{family}/serial"][2]
    return get_codec(name, **options).compress(make_field(kind, n, np.dtype(dtype)), eb)


def _builds(family: str) -> list[str]:
    return [name for name in BUILDS if name.startswith(family + "/")]


AGREEMENT = [
    pytest.param(family, kind, n, dtype, id=f"{family}-{kind}-{n}-{dtype}")
    for family in FAMILIES
    for kind in KINDS
    for n in SIZES
    for dtype in (("float32", "float64") if family != "szx" else ("float32",))
]


@pytest.mark.parametrize("family, kind, n, dtype", AGREEMENT)
def test_same_bytes_as_numpy_codec(load_kernel, family, kind, n, dtype):
    """reference.c and serial.c write the numpy codec's bytes and decode them to its values."""
    x = make_field(kind, n, np.dtype(dtype))
    eb = 1e-3
    expected = _numpy_stream(family, kind, n, dtype, eb)
    name, options = BUILDS[f"{family}/serial"][2]
    values = get_codec(name, **options).decompress(expected, n, eb, np.dtype(dtype))
    for build in _builds(family):
        kernel = load_kernel(build)
        assert kernel.compress(x, eb) == expected, build
        y = kernel.decompress(expected, n, eb, np.dtype(dtype))
        assert_within_bound(x, y, eb)
        np.testing.assert_array_equal(y.view(f"u{y.itemsize}"), values.view(f"u{y.itemsize}"))


@st.composite
def _inputs(draw, dtypes):
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    kind = draw(st.sampled_from(KINDS[:3]))
    n = draw(st.integers(min_value=1, max_value=700))
    scale = 10.0 ** draw(st.integers(min_value=-5, max_value=5))
    rel = 10.0 ** draw(st.floats(min_value=-8, max_value=0.5))
    x = make_field(kind, n, dtype, seed=draw(st.integers(0, 2**31)), scale=scale)
    return x, rel * scale


def _agree(load_kernel, family: str, x: np.ndarray, eb: float) -> None:
    name, options = BUILDS[f"{family}/serial"][2]
    codec = get_codec(name, **options)
    try:
        expected = codec.compress(x, eb)
    except InputError:
        expected = None
    for build in _builds(family):
        kernel = load_kernel(build)
        status, stream = kernel.compress_status(x, eb, max_bytes(build, x.size))
        if expected is None:
            assert status == SZ_ERR_RANGE, build
            continue
        assert status == SZ_OK and stream == expected, build
        assert_within_bound(x, kernel.decompress(stream, x.size, eb, x.dtype), eb)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_inputs(("float32", "float64")), family=st.sampled_from(["szp_plain", "szp_outlier"]))
def test_szp_agrees_with_numpy_codec_on_random_inputs(load_kernel, case, family):
    """For any input and eb, the C SZp kernels write the numpy bytes, or reject what it rejects."""
    _agree(load_kernel, family, *case)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_inputs(("float32",)))
def test_szx_agrees_with_numpy_codec_on_random_inputs(load_kernel, case):
    """For any input and eb, the C SZx kernels write the numpy codec's bytes."""
    _agree(load_kernel, "szx", *case)


@pytest.mark.parametrize("build", SZX_BUILDS)
def test_szx_keeps_nan_and_inf_exactly(load_kernel, build):
    """Blocks with NaN (quiet or signalling), Inf or -0.0 are stored losslessly, bit for bit."""
    x = make_field("smooth", 1000, np.float32)
    bits = x.view(np.uint32)
    bits[[0, 200, 300, 999]] = [0x7FC00001, 0x7F800000, 0xFF800000, 0x7F800123]  # NaN, ±Inf, sNaN
    x[400:528] = 0.0
    bits[[401, 450]] = 0x80000000  # -0.0 in an otherwise zero block
    kernel = load_kernel(build)
    stream = kernel.compress(x, 1e-2)
    assert stream == get_codec("szx").compress(x, 1e-2)
    y = kernel.decompress(stream, x.size, 1e-2)
    assert_within_bound(x, y, 1e-2)


@pytest.mark.parametrize("build", [b for b in BUILDS if b.endswith("/reference")])
def test_thread_counts_give_identical_streams(load_kernel, build):
    """The OpenMP reference writes the same stream, and reads it the same, on 1 to 7 threads."""
    kernel = load_kernel(build)
    dtypes = (np.float32, np.float64) if build.startswith("szp") else (np.float32,)
    default = kernel.lib.omp_get_max_threads()
    try:
        for dtype in dtypes:
            x = make_field("smooth", 300_017, dtype)
            x[::97] += 0.05  # some rough blocks
            results = []
            for threads in (1, 2, 3, 7):
                kernel.set_threads(threads)
                stream = kernel.compress(x, 1e-4)
                results.append((stream, kernel.decompress(stream, x.size, 1e-4, dtype).tobytes()))
            assert all(r == results[0] for r in results[1:])
    finally:
        kernel.set_threads(default)
