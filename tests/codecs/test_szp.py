"""SZp: a hand-derived stream, the error bound as a property, bad input and corrupt streams."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from szagents.codecs import SZp, get_codec
from szagents.codecs.base import Codec
from szagents.codecs.szp import szp_header_bytes, szp_q_limit
from szagents.errors import FormatError, InputError
from tests.codecs._bound import assert_within_bound
from tests.codecs._data import fields

# 32 values, eb = 0.5 so that 2*eb = 1 and q = x: q = [3, 2, 2, ...], d = [3, -1, 0, ...].
HAND_X = np.array([3.0] + [2.0] * 31, dtype=np.float32)
HAND_HEADER_PAD = bytes(1023)
# Plain: rate 2; sign word (d_1 < 0 -> bit 30); plane 0 (|d_0|, |d_1| odd); plane 1 (|d_0| = 3).
HAND_PLAIN = b"\x02" + HAND_HEADER_PAD + bytes.fromhex("40000000" "c0000000" "80000000")
# Outlier: 4 + 4*1 + 1 = 9 < 12 bytes, header 0x80 | (1-1)<<5 | 1; |q0| = 3 in one byte, the
# sign word, then plane 0 without element 0.
HAND_OUTLIER = b"\x81" + HAND_HEADER_PAD + bytes.fromhex("03" "40000000" "40000000")


@pytest.mark.parametrize("mode,expected", [("plain", HAND_PLAIN), ("outlier", HAND_OUTLIER)])
def test_hand_computed_stream(mode, expected):
    """A 32-value block encodes to the stream derived by hand and decodes back exactly."""
    codec = SZp(mode)
    assert codec.compress(HAND_X, 0.5) == expected
    np.testing.assert_array_equal(codec.decompress(expected, 32, 0.5), HAND_X)


def test_tail_is_padded_with_zero_deltas():
    """A partial block pads with d = 0 as the kernels do (q = 0 padding would give d_2 = -8)."""
    x = np.array([4.0, 8.0], dtype=np.float32)  # eb = 0.5: q = 4 8, d = 4 4 0 0 ...
    expected = b"\x03" + bytes(1023) + bytes.fromhex("00000000" "00000000" "00000000" "c0000000")
    assert SZp().compress(x, 0.5) == expected
    np.testing.assert_array_equal(SZp().decompress(expected, 2, 0.5), x)


def test_small_n_keeps_the_natural_header():
    """Even one value gets the full 1024-byte header of the v2/v3 layout."""
    assert szp_header_bytes(1) == 1024 and szp_header_bytes(32769) == 2048
    stream = SZp().compress(np.array([0.0], dtype=np.float32), 1e-3)
    assert stream == bytes(1024)


@pytest.mark.parametrize("mode", ["plain", "outlier"])
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=fields())
def test_error_bound_and_capacity(mode, case):
    """Every value decodes within eb32 + 4 ulp and the stream fits max_compressed_bytes."""
    x, eb = case
    codec = SZp(mode)
    # Keep eb inside the range contract (|x|/(2eb) rounds below the dtype's limit), with a
    # margin for eb's rounding to float32; tiny eb lands right at the edge.
    edge = float(np.abs(x).max()) / (2 * (szp_q_limit(x.dtype) - 2)) * (1 + 2**-20)
    eb = max(eb, edge)
    stream = codec.compress(x, eb)
    assert len(stream) <= codec.max_compressed_bytes(x.size, x.dtype)
    assert_within_bound(x, codec.decompress(stream, x.size, eb, x.dtype), eb)


@pytest.mark.parametrize("dtype,rate", [(np.float32, 21), (np.float64, 31)])
@pytest.mark.parametrize("mode", ["plain", "outlier"])
def test_max_compressed_bytes_is_reached(dtype, rate, mode):
    """Alternating +-(limit-1) quanta reach the worst case exactly, so the bound is tight."""
    q = szp_q_limit(dtype) - 1
    x = np.tile(np.array([q, -q], dtype=dtype), 32)  # eb = 0.5: x = q
    codec = SZp(mode)
    stream = codec.compress(x, 0.5)
    assert len(stream) == codec.max_compressed_bytes(64, dtype) == 1024 + 2 * 4 * (1 + rate)
    np.testing.assert_array_equal(codec.decompress(stream, 64, 0.5, dtype), x)


def test_float64_uses_float32_rounded_eb():
    """eb reaches the kernels as a C float, so f64 data is quantized with float32(eb)."""
    eb32 = float(np.float32(1e-6))  # 9.99999997e-07: x/(2*eb32) = 7.50000001 but x/2e-6 < 7.5
    x = np.array([2 * eb32 * (7.5 + 1e-8)], dtype=np.float64)
    y = SZp().decompress(SZp().compress(x, 1e-6), 1, 1e-6, np.float64)
    assert y[0] == (8 * eb32) * 2


def test_registry_builds_szp():
    """get_codec("szp", mode=...) builds an SZp that satisfies the Codec protocol."""
    codec = get_codec("szp", mode="outlier")
    assert isinstance(codec, SZp) and isinstance(codec, Codec) and codec.mode == "outlier"


@pytest.mark.parametrize(
    "data,eb,match",
    [
        (np.array([], dtype=np.float32), 1e-3, "empty"),
        (np.zeros(4, dtype=np.float32), 0.0, "finite positive"),
        (np.zeros(4, dtype=np.float32), -1.0, "finite positive"),
        (np.zeros(4, dtype=np.float32), float("nan"), "finite positive"),
        (np.zeros(4, dtype=np.float32), float("inf"), "finite positive"),
        (np.zeros(4, dtype=np.float32), 1e-50, "float32"),
        (np.array([0, 1, 2, np.nan], dtype=np.float32), 1e-3, r"data\[3\].*nan_to_num"),
        (np.array([0, np.inf], dtype=np.float64), 1e-3, r"data\[1\].*not finite"),
        (np.array([0, 1e7], dtype=np.float32), 1e-3, r"data\[1\].*raise eb.*as float64"),
        (np.array([1e16], dtype=np.float64), 1e-3, r"2\*\*30.*raise eb"),
        (np.array([1.0], dtype=np.float32), 1e-44, "overflows"),
        (np.zeros((2, 3), dtype=np.float32), 1e-3, "ravel"),
        (np.arange(4), 1e-3, "astype"),
        (np.zeros(4, dtype=np.float16), 1e-3, "astype"),
    ],
)
def test_bad_input_names_problem_and_fix(data, eb, match):
    """Input the format cannot honour raises InputError whose message says what to change."""
    with pytest.raises(InputError, match=match):
        SZp().compress(data, eb)


def test_bad_parameters():
    """Unknown modes, element counts below 1 and non-float dtypes are rejected clearly."""
    with pytest.raises(InputError, match="plain, outlier"):
        SZp("fixed")
    stream = SZp().compress(HAND_X, 0.5)
    with pytest.raises(InputError, match="n=0"):
        SZp().decompress(stream, 0, 0.5)
    with pytest.raises(InputError, match="float32 or float64"):
        SZp().decompress(stream, 32, 0.5, np.int32)
    with pytest.raises(InputError, match="n=0"):
        SZp().max_compressed_bytes(0)


@pytest.mark.parametrize("mode", ["plain", "outlier"])
def test_truncated_or_padded_stream_is_a_format_error(mode):
    """A stream shorter or longer than its header implies raises FormatError."""
    codec = SZp(mode)
    stream = codec.compress(HAND_X, 0.5)
    for bad in (stream[:-1], stream[:100], stream + b"\x00"):
        with pytest.raises(FormatError, match="header|implies"):
            codec.decompress(bad, 32, 0.5)


@pytest.mark.parametrize(
    "mode,index,value,match",
    [
        ("plain", 0, 0x81, "not a valid plain-mode rate"),
        ("plain", 0, 33, "not a valid plain-mode rate"),
        ("outlier", 0, 0x40, "not a valid outlier-mode rate"),
        ("plain", 5, 1, "padding"),
    ],
)
def test_corrupt_header_is_a_format_error(mode, index, value, match):
    """A header byte with an impossible rate, or non-zero header padding, raises FormatError."""
    stream = bytearray(SZp(mode).compress(HAND_X, 0.5))
    stream[index] = value
    with pytest.raises(FormatError, match=match):
        SZp(mode).decompress(bytes(stream), 32, 0.5)


@pytest.mark.parametrize("mode", ["plain", "outlier"])
@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=4),
    cut=st.integers(0, 50),
)
def test_corrupted_streams_decode_or_raise_format_error(mode, seed, edits, cut):
    """Overwritten or truncated streams decode to n values or raise FormatError, nothing else."""
    x = np.random.default_rng(seed).standard_normal(300).astype(np.float32)
    stream = bytearray(SZp(mode).compress(x, 1e-2))
    for pos, value in edits:
        stream[pos % len(stream)] = value
    try:
        y = SZp(mode).decompress(bytes(stream[: len(stream) - cut]), 300, 1e-2)
    except FormatError:
        return
    assert y.shape == (300,) and y.dtype == np.float32
