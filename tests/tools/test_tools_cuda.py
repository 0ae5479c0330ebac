"""The agent tools on a real GPU: the CUDA baseline validates, benchmarks and profiles (marker gpu)."""

from __future__ import annotations

import pytest

from szagents.backends.registry import get_backend
from szagents.tools import make_tools
from tests.tools.conftest import make_context

pytestmark = pytest.mark.gpu


@pytest.fixture
def cuda_tools(tmp_path):
    """Tools over szp-optimize-cuda (kernel.cu = baseline.cu) on the small suite."""
    if not get_backend("cuda").availability().available:
        pytest.skip(f"cuda backend unavailable: {get_backend('cuda').availability().reason}")
    ctx = make_context("szp-optimize-cuda", tmp_path, backend="cuda")
    return {t.name: t for t in make_tools(ctx)}


def test_cuda_baseline_validates_and_benchmarks(cuda_tools):
    """validate is ok and benchmark reports positive GB/s on the GPU."""
    assert "validation: ok (1/1 cases passed)" in cuda_tools["validate"].invoke({})
    out = cuda_tools["benchmark"].invoke({})
    print(out)
    row = next(line for line in out.splitlines() if line.startswith("climate:90x180"))
    assert float(row.split()[2]) > 0 and float(row.split()[3]) > 0


def test_ncu_profiles_the_cuda_baseline(cuda_tools):
    """profile gives a per-kernel table split into phases, or says why ncu cannot run here."""
    out = cuda_tools["profile"].invoke({})
    print(out)
    assert "not available here" in out or ("compress" in out and "decompress" in out and "total GPU time" in out)
