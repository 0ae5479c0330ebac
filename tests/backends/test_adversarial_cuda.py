"""The cuda harness classifies broken and cheating CUDA kernels, and survives all of them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from szagents.backends.cuda import CudaBackend, CudaConfig
from szagents.backends.protocol import KernelSpec, Problem
from szagents.backends.results import Verdict
from szagents.backends.sandbox import Limits

HERE = Path(__file__).parent / "adversarial_cuda"
SPEC = KernelSpec(codec="raw")

CASES = [
    ("honest.cu", Verdict.ok, ""),
    ("illegal_address.cu", Verdict.crash, "device error"),
    ("infinite_loop.cu", Verdict.timeout, "during decompress"),
    ("side_stream.cu", Verdict.cheat_detected, "another stream"),
    ("oob_write.cu", Verdict.size_error, "past out_capacity"),
    ("reads_input.cu", Verdict.cheat_detected, "reads the original input"),
    ("skips_outputs.cu", Verdict.unwritten_output, "never written"),
]


@pytest.fixture(scope="module")
def backend() -> CudaBackend:
    chosen = CudaBackend(CudaConfig(run_limits=Limits(wall_seconds=20, address_space_bytes=None)))
    state = chosen.availability()
    if not state.can_compile:
        pytest.skip(f"cuda backend cannot compile here: {state.reason}")
    return chosen


def test_compiles_without_a_gpu(backend, tmp_path):
    """nvcc builds a kernel library on a machine with no GPU; the flags name the architecture."""
    build = backend.compile([HERE / "honest.cu", HERE / "raw_common.cuh"], SPEC, tmp_path)
    assert build.ok, build.log
    assert any(flag.startswith("-arch=sm_") for flag in build.command)
    assert build.library is not None and build.library.stat().st_size > 0


@pytest.mark.gpu
@pytest.mark.parametrize(("source", "verdict", "detail"), CASES, ids=[c[0] for c in CASES])
def test_harness_classifies_cuda_kernel(backend, tmp_path, source, verdict, detail):
    """Each adversarial CUDA kernel gets its own verdict and a detail naming what it did."""
    if not backend.availability().available:
        pytest.skip(backend.availability().reason)
    data = np.random.default_rng(3).normal(size=1_000_003).astype(np.float32)
    build = backend.compile([HERE / source, HERE / "raw_common.cuh"], SPEC, tmp_path)
    result = backend.validate(build, SPEC, [Problem("random", data, 1e-3)], tmp_path)
    assert result.verdict is verdict, (result.detail, result.stderr_tail)
    assert detail in result.detail
