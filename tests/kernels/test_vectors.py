"""The C kernels against the streams the original cuSZp and SZx tools wrote (tests/data/vectors)."""

from __future__ import annotations

import pytest

from tests.conftest import VECTOR_CASES
from tests.kernels.conftest import BUILDS, assert_within_bound


def _stream_kind(name: str) -> str:
    family = name.split("/")[0]
    return "szx_ra" if family == "szx" else f"cuszp_{family.split('_')[1]}"


CASES = [
    pytest.param(name, case, id=f"{name}-{case.name}")
    for name in BUILDS
    for case in VECTOR_CASES
    if case.stream(_stream_kind(name)) is not None
]


def test_vectors_are_present():
    """The interoperability vectors are found, with a stream for every kernel."""
    assert VECTOR_CASES, "interoperability vectors not found (tests/data/vectors, or set SZAGENTS_VECTORS)"
    assert {name for name, *_ in (p.values for p in CASES)} == set(BUILDS)


@pytest.mark.parametrize("name, case", CASES)
def test_compress_writes_original_bytes(load_kernel, name, case):
    """Compressing a vector input reproduces the original tool's stream byte for byte."""
    stream = load_kernel(name).compress(case.data(), case.eb)
    assert stream == case.stream(_stream_kind(name))


@pytest.mark.parametrize("name, case", CASES)
def test_decompress_reads_original_within_bound(load_kernel, name, case):
    """Decompressing the original stream writes every value, within eb32 + 4 ulp of the input."""
    y = load_kernel(name).decompress(case.stream(_stream_kind(name)), case.n, case.eb, case.dtype)
    assert_within_bound(case.data(), y, case.eb)
