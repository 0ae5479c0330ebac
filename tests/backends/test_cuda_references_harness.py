"""The CUDA references and baselines pass the cuda harness with streams identical to the numpy codecs."""

from __future__ import annotations

import pytest

from szagents.backends.cuda import CudaBackend
from szagents.tasks.evaluate import build_problems, kernel_spec
from szagents.tasks.task import load_kernel

pytestmark = pytest.mark.gpu

CASES = [(k, v, r) for k in ("szp", "szx") for v in load_kernel(k).variants for r in ("reference_cu", "baseline_cu")]


@pytest.fixture(scope="module")
def backend() -> CudaBackend:
    chosen = CudaBackend()
    if not chosen.availability().available:
        pytest.skip(chosen.availability().reason)
    return chosen


@pytest.mark.parametrize(("kernel", "variant", "role"), CASES, ids=["-".join(c) for c in CASES])
def test_cuda_source_validates_with_format_check(backend, tmp_path, kernel, variant, role):
    """Every validation case passes on the GPU and each stream equals the numpy reference codec's bytes."""
    info = load_kernel(kernel)
    spec = kernel_spec(info, variant, format_check=True)
    build = backend.compile([info.source_path(role)], spec, tmp_path)
    assert build.ok, build.log
    result = backend.validate(build, spec, build_problems(info.validation, info.dtype), tmp_path)
    assert result.ok, (result.verdict, result.detail, result.stderr_tail)
    assert len(result.cases) == len(info.validation.datasets) * len(info.validation.relative_bounds)
