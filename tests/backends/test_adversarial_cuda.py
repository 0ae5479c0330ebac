"""The cuda harness classifies broken and cheating CUDA kernels, and survives all of them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from szagents.backends.cuda import CudaBackend, CudaConfig
from szagents.backends.protocol import BenchSettings, KernelSpec, Problem
from szagents.backends.results import Verdict
from szagents.backends.sandbox import Limits
from tests.cuda_builds import compile_all

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


@pytest.fixture(scope="module")
def built(backend, tmp_path_factory) -> None:
    """Every kernel of this module compiled at once (nvcc runs in parallel); tests find them in the build cache."""
    sources = [[HERE / c[0], HERE / "raw_common.cuh"] for c in CASES]
    sources += [[HERE / name, HERE / "slow_copy.cuh", HERE / "raw_common.cuh"]
                for name in ("slow_on_abi.cu", "slow_on_private.cu", "slow_on_legacy.cu")]
    compile_all(backend, [(files, SPEC) for files in sources], tmp_path_factory.mktemp("builds"))


def test_compiles_without_a_gpu(backend, tmp_path):
    """nvcc builds a kernel library on a machine with no GPU; the flags name the architecture."""
    build = backend.compile([HERE / "honest.cu", HERE / "raw_common.cuh"], SPEC, tmp_path)
    assert build.ok, build.log
    assert any(flag.startswith("-arch=sm_") for flag in build.command)
    assert build.library is not None and build.library.stat().st_size > 0


@pytest.mark.gpu
@pytest.mark.parametrize(("source", "verdict", "detail"), CASES, ids=[c[0] for c in CASES])
def test_harness_classifies_cuda_kernel(backend, built, tmp_path, source, verdict, detail):
    """Each adversarial CUDA kernel gets its own verdict and a detail naming what it did."""
    if not backend.availability().available:
        pytest.skip(backend.availability().reason)
    data = np.random.default_rng(3).normal(size=1_000_003).astype(np.float32)
    build = backend.compile([HERE / source, HERE / "raw_common.cuh"], SPEC, tmp_path)
    result = backend.validate(build, SPEC, [Problem("random", data, 1e-3)], tmp_path)
    assert result.verdict is verdict, (result.detail, result.stderr_tail)
    assert detail in result.detail


@pytest.mark.gpu
@pytest.mark.serial  # compares two timings: alone on the GPU (scripts/gpu_check.sh runs these after the others)
@pytest.mark.parametrize("source", ["slow_on_private.cu", "slow_on_legacy.cu"])
def test_work_on_another_stream_is_flagged_or_timed(backend, built, tmp_path, source):
    """Work hidden on a private or the legacy default stream is either flagged (validation) or inside
    the reported time: never faster than the same work done honestly on the ABI stream."""
    if not backend.availability().available:
        pytest.skip(backend.availability().reason)
    data = np.random.default_rng(4).normal(size=4_000_003).astype(np.float32)
    problem = Problem("random", data, 1e-3)
    settings = BenchSettings(min_seconds=0.05, max_reps=10)
    times = {}
    for name in ("slow_on_abi.cu", source):
        build = backend.compile([HERE / name, HERE / "slow_copy.cuh", HERE / "raw_common.cuh"], SPEC, tmp_path)
        checked, measured = backend.validate_and_benchmark(build, SPEC, [problem], [problem], tmp_path, settings)
        if name != "slow_on_abi.cu" and checked.verdict is Verdict.cheat_detected:
            assert "another stream" in checked.detail
            return
        assert checked.ok and measured.ok, (checked.detail, measured and measured.detail)
        times[name] = measured.cases[0].compress.median_seconds, measured.cases[0].decompress.median_seconds
    honest, hidden = times["slow_on_abi.cu"], times[source]
    assert hidden[0] >= 0.8 * honest[0] and hidden[1] >= 0.8 * honest[1], (honest, hidden)
