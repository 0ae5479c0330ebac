"""Large inputs through the cuda harness: the 256 MiB smooth GRF (2^26 float32 values) and the
1800x3600 climate field, in the order the GPU benchmark validates them.

At these sizes the harness's own buffer preparation (host-to-device copies of the input, the
exact-size copy of the stream, the poison fills) takes long enough that a kernel call which is not
ordered after it reads half-prepared buffers. Kernels that happened to synchronize the device
inside the call (a cudaMalloc/cudaFree per call) passed; kernels that cache their scratch and
launch at once, and even a plain cudaMemcpyAsync codec, got SZ_ERR_RANGE, SZ_ERR_FORMAT,
unwritten_output or a false "reads the compressor's output buffer" cheat verdict.
These tests fail while the harness does not order the ABI stream after its preparation, and pass
once it does. A direct round trip (no harness) at 2^26 + 3 values guards the kernels themselves
against 32-bit index and offset overflows."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.bench_scripts import load_bench

from szagents.backends.cuda import CudaBackend
from szagents.backends.protocol import KernelSpec, Problem
from szagents.tasks.evaluate import build_problems, kernel_spec
from szagents.tasks.task import Suite, load_kernel

pytestmark = pytest.mark.gpu

REPO = Path(__file__).resolve().parents[2]
RAW = REPO / "tests" / "backends" / "adversarial_cuda"
CASES = [
    (k, v, r) for k in ("szp", "szx") for v in load_kernel(k).variants for r in ("reference_cu", "baseline_cu")
]
IDS = ["-".join(c) for c in CASES]


@pytest.fixture(scope="module")
def backend() -> CudaBackend:
    chosen = CudaBackend()
    if not chosen.availability().available:
        pytest.skip(chosen.availability().reason)
    return chosen


@pytest.fixture(scope="module")
def problems(backend):
    found = build_problems(Suite(datasets=("grf_smooth", "climate"), relative_bounds=(1e-3,)))
    assert found[0].data.size == 1 << 26 and found[1].data.size == 1800 * 3600
    return found


@pytest.fixture(scope="module")
def staging(tmp_path_factory) -> Path:
    """One validation folder for the module: the staged inputs and reference streams are shared."""
    return tmp_path_factory.mktemp("large-harness")


def test_an_honest_memcpy_codec_validates_at_2_26_values(backend, staging, tmp_path):
    """The control: compress and decompress are one cudaMemcpyAsync each on the ABI stream."""
    spec = KernelSpec(codec="raw")
    build = backend.compile([RAW / "honest.cu", RAW / "raw_common.cuh"], spec, tmp_path)
    assert build.ok, build.log
    data = np.random.default_rng(3).normal(size=1 << 26).astype(np.float32)
    result = backend.validate(build, spec, [Problem("random", data, 1e-3)], staging)
    assert result.ok, (result.verdict, result.detail, result.stderr_tail)


@pytest.mark.parametrize(("kernel", "variant", "role"), CASES, ids=IDS)
def test_cuda_source_validates_large_inputs_with_format_check(
    backend, problems, staging, tmp_path, kernel, variant, role
):
    """Both large fields pass both rounds, with streams byte-identical to the numpy codec's."""
    info = load_kernel(kernel)
    spec = kernel_spec(info, variant, format_check=True)
    build = backend.compile([info.source_path(role)], spec, tmp_path)
    assert build.ok, build.log
    result = backend.validate(build, spec, problems, staging)
    assert result.ok, (result.verdict, result.detail, result.stderr_tail)
    assert [c.dataset for c in result.cases] == [p.dataset for p in problems]



@pytest.fixture(scope="module")
def codecs(backend, tmp_path_factory):
    pytest.importorskip("cupy")
    if shutil.which("nvcc") is None:
        pytest.skip("nvcc is not on PATH")
    bench = load_bench("gpu_kernels")
    built = bench.build_all(bench.VARIANTS, tmp_path_factory.mktemp("large-kernels"))
    return bench, {v.name: bench.GpuCodec(built[v][0], v) for v in bench.VARIANTS}


def test_direct_round_trip_past_2_26_values(codecs):
    """Every kernel, on one stream without the harness, at n = 2^26 + 3 (a partial last block)."""
    import cupy as cp

    bench, built = codecs
    n = (1 << 26) + 3
    rng = np.random.default_rng(26)
    x = (np.cumsum(rng.standard_normal(n, dtype=np.float32)) * 1e-3).astype(np.float32)
    stream = cp.cuda.Stream(non_blocking=True)
    with stream:
        for name, codec in built.items():
            ok, detail, _ = bench.roundtrip(codec, x, 1e-3, stream)
            assert ok, f"{name}: {detail}"
