"""The reference codecs against the streams the original cuSZp and SZx tools wrote."""

from __future__ import annotations

import numpy as np
import pytest

from szagents.codecs import SZp, SZx
from tests.codecs._bound import assert_within_bound


@pytest.mark.parametrize("mode", ["plain", "outlier"])
def test_szp_encodes_original_bytes(vector_case, mode):
    """SZp writes exactly the bytes cuSZp wrote for the same input, eb and mode."""
    stream = SZp(mode).compress(vector_case.data(), vector_case.eb)
    assert stream == vector_case.stream(f"cuszp_{mode}")


@pytest.mark.parametrize("mode", ["plain", "outlier"])
def test_szp_decodes_original_within_bound(vector_case, mode):
    """SZp reads cuSZp's stream back within eb32 + 4 ulp of the input."""
    x = vector_case.data()
    y = SZp(mode).decompress(
        vector_case.stream(f"cuszp_{mode}"), vector_case.n, vector_case.eb, vector_case.dtype
    )
    assert_within_bound(x, y, vector_case.eb)


def _szx_stream(case) -> bytes:
    stream = case.stream("szx_ra")
    if stream is None:
        pytest.skip(f"{case.name}: the original SZx wrote no stream ({case.dtype.name} input)")
    return stream


def test_szx_encodes_original_bytes(vector_case):
    """SZx writes exactly the bytes `szx -m 3` wrote (random-access layout, block size 128)."""
    stream = _szx_stream(vector_case)
    assert SZx().compress(vector_case.data(), vector_case.eb) == stream


def test_szx_decodes_original_within_bound(vector_case):
    """SZx reads the original random-access stream back within the bound."""
    stream = _szx_stream(vector_case)
    y = SZx().decompress(stream, vector_case.n, vector_case.eb)
    assert_within_bound(vector_case.data(), y, vector_case.eb)


def test_szx_vectors_exercise_constant_and_tail_blocks():
    """The vector set covers constant blocks with non-zero medians and a partial tail block."""
    from tests.conftest import VECTOR_CASES

    f32 = [c for c in VECTOR_CASES if c.dtype == np.float32]
    assert any(c.n % 128 for c in f32)
    assert any(int.from_bytes(c.stream("szx_ra")[12:20], "big") for c in f32)
