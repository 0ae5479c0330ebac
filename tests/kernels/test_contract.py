"""The C kernels' input contract: status codes for bad arguments, data, capacity and streams."""

from __future__ import annotations

import numpy as np
import pytest

from tests.kernels.conftest import (
    BUILDS,
    SZ_ERR_ARGUMENT,
    SZ_ERR_CAPACITY,
    SZ_ERR_FORMAT,
    SZ_ERR_RANGE,
    SZ_OK,
    SZP_BUILDS,
    SZX_BUILDS,
    assert_within_bound,
    max_bytes,
)

ALL = sorted(BUILDS)


def _field(n: int = 5000, dtype=np.float32) -> np.ndarray:
    i = np.arange(n)
    return (10 + np.sin(i / 30.0) + 0.01 * np.cos(i * 1.7)).astype(dtype)


def _dtypes(build: str) -> tuple:
    return (np.float32, np.float64) if build.startswith("szp") else (np.float32,)


@pytest.mark.parametrize("build", ALL)
@pytest.mark.parametrize("eb", [0.0, -1e-3, float("nan"), float("inf"), 1e-50])
def test_invalid_eb_is_an_argument_error(load_kernel, build, eb):
    """eb <= 0, NaN, Inf (or a value that is 0 as a float) gives SZ_ERR_ARGUMENT both ways."""
    kernel = load_kernel(build)
    for dtype in _dtypes(build):
        x = _field(100, dtype)
        assert kernel.compress_status(x, eb, max_bytes(build, x.size))[0] == SZ_ERR_ARGUMENT
        stream = kernel.compress(x, 1e-3)
        assert kernel.decompress_status(stream, x.size, eb, dtype)[0] == SZ_ERR_ARGUMENT


@pytest.mark.parametrize("build", ALL)
def test_null_pointers_and_empty_input_are_argument_errors(load_kernel, build):
    """NULL input or output, or n == 0, gives SZ_ERR_ARGUMENT without touching memory."""
    kernel = load_kernel(build)
    x = _field(100)
    cap = max_bytes(build, x.size)
    assert kernel.compress_status(None, 1e-3, cap, n=100)[0] == SZ_ERR_ARGUMENT
    assert kernel.compress_status(x, 1e-3, cap, null_out=True)[0] == SZ_ERR_ARGUMENT
    assert kernel.compress_status(x, 1e-3, cap, n=0)[0] == SZ_ERR_ARGUMENT
    stream = kernel.compress(x, 1e-3)
    assert kernel.decompress_status(stream, 0, 1e-3)[0] == SZ_ERR_ARGUMENT
    assert kernel.decompress_status(stream, 100, 1e-3, null_in=True)[0] == SZ_ERR_ARGUMENT
    assert kernel.decompress_status(stream, 100, 1e-3, null_out=True)[0] == SZ_ERR_ARGUMENT


@pytest.mark.parametrize("build", SZP_BUILDS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_szp_rejects_nan_and_inf(load_kernel, build, bad):
    """SZp cannot store NaN or Inf: SZ_ERR_RANGE, wherever the value sits."""
    kernel = load_kernel(build)
    for dtype in (np.float32, np.float64):
        for where in (0, 31, 4999):
            x = _field(5000, dtype)
            x[where] = bad
            assert kernel.compress_status(x, 1e-3, max_bytes(build, x.size))[0] == SZ_ERR_RANGE


@pytest.mark.parametrize("build", SZP_BUILDS)
def test_szp_range_limit_is_on_the_quantized_value(load_kernel, build):
    """|q| must stay below 2^20 (f32) or 2^30 (f64): the last value below passes, the next fails."""
    kernel = load_kernel(build)
    for dtype, limit in ((np.float32, 2**20), (np.float64, 2**30)):
        eb = 0.5  # then 2eb = 1 and q = round-half-up(x)
        for value, status in ((limit - 1, SZ_OK), (limit - 0.5, SZ_ERR_RANGE),
                              (-(limit - 1), SZ_OK), (-(limit - 0.5), SZ_ERR_RANGE)):
            x = np.zeros(40, dtype)
            x[35] = value
            got, stream = kernel.compress_status(x, eb, max_bytes(build, x.size))
            assert got == status, (dtype, value)
            if status == SZ_OK:
                assert_within_bound(x, kernel.decompress(stream, x.size, eb, dtype), eb)


@pytest.mark.parametrize("build", ALL)
def test_too_small_capacity_is_a_capacity_error(load_kernel, build):
    """Any capacity below the stream size gives SZ_ERR_CAPACITY and no write past it."""
    kernel = load_kernel(build)
    for dtype in _dtypes(build):
        for n in (100, 200_000):  # one thread, and the parallel path of reference.c
            x = _field(n, dtype)
            stream = kernel.compress(x, 1e-3)
            for capacity in {0, 1, 19, 1023, len(stream) // 2, len(stream) - 1}:
                if capacity >= len(stream):
                    continue
                status, _ = kernel.compress_status(x, 1e-3, capacity)
                assert status == SZ_ERR_CAPACITY, (n, capacity)
            assert kernel.compress_status(x, 1e-3, len(stream)) == (SZ_OK, stream)


@pytest.mark.parametrize("build", SZP_BUILDS)
def test_szp_range_error_comes_before_capacity(load_kernel, build):
    """Bad data reports SZ_ERR_RANGE even when the capacity is also too small."""
    x = _field(200_000)
    x[150_000] = np.nan
    for capacity in (0, 10_000, max_bytes(build, x.size)):
        assert load_kernel(build).compress_status(x, 1e-3, capacity)[0] == SZ_ERR_RANGE


@pytest.mark.parametrize("build", ALL)
@pytest.mark.parametrize("n", [100, 200_000])
def test_wrong_stream_length_is_a_format_error(load_kernel, build, n):
    """A truncated, extended or empty stream gives SZ_ERR_FORMAT, never a read past its end."""
    kernel = load_kernel(build)
    for dtype in _dtypes(build):
        stream = kernel.compress(_field(n, dtype), 1e-3)
        for bad in (stream[:-1], stream[: len(stream) // 2], stream[:10], b"", stream + b"\0"):
            assert kernel.decompress_status(bad, n, 1e-3, dtype)[0] == SZ_ERR_FORMAT


@pytest.mark.parametrize("build", SZP_BUILDS)
def test_szp_corrupt_header_is_a_format_error(load_kernel, build):
    """A rate byte above 32, an outlier byte in a plain build, or non-zero padding is rejected."""
    kernel = load_kernel(build)
    n = 1000  # 32 blocks: rate bytes 0..31, then zero padding up to byte 1023
    stream = kernel.compress(_field(n), 1e-3)
    changes = [(0, 33), (5, 0x7F), (40, 1), (1023, 0xFF)]
    if build.startswith("szp_plain"):
        changes.append((3, 0x80 | stream[3]))  # an outlier byte: not valid in plain mode
    for position, value in changes:
        bad = bytearray(stream)
        bad[position] = value
        assert kernel.decompress_status(bytes(bad), n, 1e-3)[0] == SZ_ERR_FORMAT, position


@pytest.mark.parametrize("build", SZX_BUILDS)
def test_szx_corrupt_metadata_is_a_format_error(load_kernel, build):
    """Bad magic, block size, constant count, bitmap, L or lead codes give SZ_ERR_FORMAT."""
    kernel = load_kernel(build)
    x = _field(1000)
    x[384:512] = 7.0  # block 3 is constant
    stream = bytes(kernel.compress(x, 1e-3))
    nconst = int.from_bytes(stream[12:20], "big")
    nrec = 8 - nconst
    bitmap_at = 20 + 2 * nrec
    records_at = bitmap_at + 1 + 4 * nconst

    def corrupt(position: int, value: int) -> bytes:
        bad = bytearray(stream)
        bad[position] = value
        return bytes(bad)

    cases = [
        corrupt(0, 2),  # magic
        corrupt(11, 64),  # block size 64
        corrupt(19, 9),  # more constant blocks than blocks
        corrupt(bitmap_at, stream[bitmap_at] ^ 0x80),  # bitmap disagrees with the count
        corrupt(records_at, 8),  # L = 8
        corrupt(records_at, 33),  # L = 33
        corrupt(records_at + 5, stream[records_at + 5] ^ 0xFF),  # lead codes vs record size
    ]
    assert nconst == 1
    for bad in cases:
        assert kernel.decompress_status(bad, x.size, 1e-3)[0] == SZ_ERR_FORMAT


@pytest.mark.parametrize("family", ["szp_plain", "szp_outlier", "szx"])
@pytest.mark.parametrize("n", [3000, 140_000])
def test_random_corruption_is_handled_alike(load_kernel, family, n):
    """Flipped bytes give SZ_OK or SZ_ERR_FORMAT, the same in every build of a kernel; on SZ_OK
    every output value is written and all builds decode the same values."""
    kernels = [load_kernel(build) for build in BUILDS if build.startswith(family + "/")]
    rng = np.random.default_rng(7)
    x = _field(n)
    x[1000:1300] = 1.0  # constant blocks too
    stream = kernels[0].compress(x, 1e-2)
    for _ in range(150):
        bad = bytearray(stream)
        region = len(bad) if rng.random() < 0.5 else min(len(bad), 1100)  # often the metadata
        for position in rng.integers(0, region, size=rng.integers(1, 4)):
            bad[position] = int(rng.integers(0, 256))
        results = [kernel.decompress_status(bytes(bad), x.size, 1e-2) for kernel in kernels]
        statuses = {status for status, _ in results}
        assert len(statuses) == 1 and statuses <= {SZ_OK, SZ_ERR_FORMAT}, statuses
        if statuses == {SZ_OK}:
            first = results[0][1].view(np.uint32)
            assert not (first == 0x7FC0DEAD).any()
            assert all((y.view(np.uint32) == first).all() for _, y in results[1:])


@pytest.mark.parametrize("build", ALL)
@pytest.mark.parametrize("n", [1, 2, 31, 32, 33, 127, 128, 129])
def test_tiny_inputs_round_trip(load_kernel, build, n):
    """Inputs smaller than a block (or one more) compress and come back within the bound."""
    kernel = load_kernel(build)
    for dtype in _dtypes(build):
        x = _field(n, dtype) - 10.3
        stream = kernel.compress(x, 1e-4)
        assert_within_bound(x, kernel.decompress(stream, n, 1e-4, dtype), 1e-4)
