"""SZx: hand-derived streams, the error bound as a property, NaN/Inf, bad input, corrupt streams."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from szagents.codecs import SZx, get_codec
from szagents.codecs.base import Codec
from szagents.errors import FormatError, InputError
from tests.codecs._bound import assert_within_bound
from tests.codecs._data import fields

HEAD_ONE_BLOCK = bytes([1, 1, 1, 1]) + (128).to_bytes(8, "big")

# Four values, eb = 0.25: min 1, max 2, radius 0.5, median 1.5. L = 10 + E(0.5) - E(0.25) = 11,
# so B = 2 bytes and s = 5. d = -0.5, -0.5, 0.5, 0.25 and v = bits(d) >> 5 = 05f80000,
# 05f80000, 01f80000, 01f40000; leads 0, 3 (>= B: nothing stored), 0, 1 -> codes 0x31;
# mid-bytes f8 05 | - | f8 01 | f4. The record is 11 bytes.
HAND_X = np.array([1.0, 1.0, 2.0, 1.75], dtype=np.float32)
HAND_STREAM = (
    HEAD_ONE_BLOCK
    + (0).to_bytes(8, "big")  # no constant block
    + bytes.fromhex("0b00")  # record size, uint16 little-endian
    + bytes.fromhex("80")  # state bitmap: block 0 non-constant
    + bytes.fromhex("0b" "3fc00000" "31" "f805" "f801" "f4")  # L, median BE, codes, mid-bytes
)
# A constant block stores only its median, big-endian.
CONST_STREAM = HEAD_ONE_BLOCK + (1).to_bytes(8, "big") + bytes.fromhex("00" "40e00000")


def test_hand_computed_stream():
    """Four values encode to the stream derived by hand and decode back exactly."""
    assert SZx().compress(HAND_X, 0.25) == HAND_STREAM
    np.testing.assert_array_equal(SZx().decompress(HAND_STREAM, 4, 0.25), HAND_X)


def test_hand_computed_constant_block():
    """A block whose radius is within eb becomes its big-endian median."""
    x = np.full(4, 7.0, dtype=np.float32)
    assert SZx().compress(x, 0.25) == CONST_STREAM
    np.testing.assert_array_equal(SZx().decompress(CONST_STREAM, 4, 0.25), x)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=fields(dtypes=(np.float32,)), block_size=st.sampled_from([128, 128, 64, 32, 7]))
def test_error_bound_and_capacity(case, block_size):
    """Every value decodes within eb32 + 4 ulp and the stream fits max_compressed_bytes."""
    x, eb = case
    codec = SZx(block_size)
    stream = codec.compress(x, eb)
    assert len(stream) <= codec.max_compressed_bytes(x.size)
    assert_within_bound(x, codec.decompress(stream, x.size, eb), eb)


def test_tiny_eb_is_lossless():
    """When L would exceed 32 the block is stored as raw bits (L = 32, median 0)."""
    x = np.random.default_rng(1).standard_normal(300).astype(np.float32)
    stream = SZx().compress(x, 1e-30)
    y = SZx().decompress(stream, 300, 1e-30)
    np.testing.assert_array_equal(y.view(np.uint32), x.view(np.uint32))


def test_max_compressed_bytes_is_reached():
    """Alternating +-1e30 with a tiny eb stores every byte of every value: the bound is tight."""
    x = np.tile(np.array([1e30, -1e30], dtype=np.float32), 100)
    stream = SZx().compress(x, 1e-3)
    assert len(stream) == SZx().max_compressed_bytes(200)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    specials=st.lists(
        st.sampled_from([np.nan, np.inf, -np.inf, 0x7FA00001, 0xFFC00123]), min_size=1, max_size=5
    ),
)
def test_nonfinite_values_come_back_bit_exact(seed, specials):
    """Blocks holding NaN/Inf anywhere are stored losslessly, payloads and signs included."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(500).astype(np.float32)
    where = rng.choice(500, size=len(specials), replace=False)
    for i, value in zip(where, specials):
        if isinstance(value, int):
            x.view(np.uint32)[i] = value  # a NaN with a payload (0x7FA00001 is signalling)
        else:
            x[i] = value
    y = SZx().decompress(SZx().compress(x, 1e-2), 500, 1e-2)
    np.testing.assert_array_equal(y.view(np.uint32)[where], x.view(np.uint32)[where])
    finite = np.isfinite(x)
    assert_within_bound(x[finite], y[finite], 1e-2)


def test_negative_zero_survives_lossless_blocks():
    """A zero median is not added on decode, so -0.0 stays -0.0."""
    x = np.array([-0.0, np.nan, 1.0], dtype=np.float32)
    y = SZx().decompress(SZx().compress(x, 1e-3), 3, 1e-3)
    assert np.signbit(y[0]) and np.isnan(y[1]) and y[2] == 1.0


def test_registry_builds_szx():
    """get_codec("szx") builds an SZx with block size 128 that satisfies the Codec protocol."""
    codec = get_codec("szx")
    assert isinstance(codec, SZx) and isinstance(codec, Codec) and codec.block_size == 128


@pytest.mark.parametrize(
    "data,eb,match",
    [
        (np.array([], dtype=np.float32), 1e-3, "empty"),
        (np.zeros(4, dtype=np.float32), 0.0, "finite positive"),
        (np.zeros(4, dtype=np.float32), float("inf"), "finite positive"),
        (np.zeros(4, dtype=np.float32), 1e-50, "float32"),
        (np.zeros(4, dtype=np.float64), 1e-3, r"float32.*astype\(np.float32\)"),
        (np.zeros((2, 2), dtype=np.float32), 1e-3, "ravel"),
    ],
)
def test_bad_input_names_problem_and_fix(data, eb, match):
    """Input SZx cannot honour raises InputError whose message says what to change."""
    with pytest.raises(InputError, match=match):
        SZx().compress(data, eb)


def test_bad_parameters():
    """Invalid block sizes, counts and dtypes are rejected with InputError."""
    for bad in (0, -1, 1.5, 10**6, True):
        with pytest.raises(InputError, match="block_size"):
            SZx(bad)
    with pytest.raises(InputError, match="n=0"):
        SZx().decompress(HAND_STREAM, 0, 0.25)
    with pytest.raises(InputError, match="float32"):
        SZx().decompress(HAND_STREAM, 4, 0.25, np.float64)
    with pytest.raises(InputError, match="float32"):
        SZx().max_compressed_bytes(4, np.float64)


@pytest.mark.parametrize(
    "stream,n,match",
    [
        (HAND_STREAM[:-1], 4, "record sizes imply"),
        (HAND_STREAM + b"\x00", 4, "record sizes imply"),
        (HAND_STREAM[:19], 4, "header"),
        (HAND_STREAM[:22], 4, "truncated"),
        (b"\x01\x01\x01\x00" + HAND_STREAM[4:], 4, "header"),
        (HAND_STREAM, 200, "bitmap"),
        (CONST_STREAM.replace(b"\x01\x00\x40", b"\x02\x00\x40"), 4, "constant blocks"),
        (HAND_STREAM[:11] + b"\x40" + HAND_STREAM[12:], 4, r"SZx\(64\)"),
        (HAND_STREAM[:-11] + b"\x21" + HAND_STREAM[-10:], 4, "L=33"),
        (HAND_STREAM[:-6] + b"\x00" + HAND_STREAM[-5:], 4, "lead codes disagree"),
        (HAND_STREAM[:20] + b"\x04\x00" + HAND_STREAM[22:], 4, "record sizes imply"),
    ],
)
def test_corrupt_stream_is_a_format_error(stream, n, match):
    """Truncated, padded or inconsistent streams raise FormatError saying what is wrong."""
    with pytest.raises(FormatError, match=match):
        SZx().decompress(stream, n, 0.25)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    edits=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=4),
    cut=st.integers(0, 50),
)
def test_corrupted_streams_decode_or_raise_format_error(seed, edits, cut):
    """Overwritten or truncated streams decode to n values or raise FormatError, nothing else."""
    x = np.random.default_rng(seed).standard_normal(300).astype(np.float32)
    stream = bytearray(SZx().compress(x, 1e-2))
    for pos, value in edits:
        stream[pos % len(stream)] = value
    try:
        y = SZx().decompress(bytes(stream[: len(stream) - cut]), 300, 1e-2)
    except FormatError:
        return
    assert y.shape == (300,) and y.dtype == np.float32
