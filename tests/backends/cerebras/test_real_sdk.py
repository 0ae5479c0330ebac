"""Against the real Cerebras SDK: `pytest -m cerebras` where it is installed; skipped elsewhere.

None of the other tests of this folder touch the real SDK: these tell, in one command, whether the
conventions, the cslc command line, the host harness and the timestamps hold on a real simulator
or system, and whether a real translation (the SZx block quantizer on a row of PEs) validates
and times. Configure the mode with SZAGENTS_CEREBRAS_* variables (cerebras/README.md).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from szagents.backends.cerebras import CerebrasBackend, CerebrasConfig
from szagents.backends.cerebras.launch import run_harness
from szagents.backends.protocol import KernelSpec, Problem
from szagents.backends.results import CompileResult, Verdict

from .conftest import REFERENCE, SKELETON, SPEC

pytestmark = pytest.mark.cerebras
SZX = KernelSpec(codec="szx")


def _backend(**overrides: object) -> CerebrasBackend:
    backend = CerebrasBackend(CerebrasConfig.from_env().model_copy(update=overrides))
    state = backend.availability()
    if not state.available:
        pytest.skip(f"Cerebras SDK not usable here: {state.reason} ({state.fix})")
    return backend


def _compile(backend: CerebrasBackend, source: Path, spec: KernelSpec, workdir: Path) -> CompileResult:
    for name in ("layout.csl", "pe.csl"):
        shutil.copyfile(source / name, workdir / name)
    build = backend.compile([workdir / "layout.csl", workdir / "pe.csl"], spec, workdir)
    assert build.ok, build.log
    assert build.sdk_version, "the SDK version was not found (cslc --version or the client's)"
    return build


def test_skeleton_compiles_runs_and_reports_its_stub_status(tmp_path):
    """The skeleton compiles, every transfer and launch works, and its status 1 comes back."""
    backend = _backend()
    build = _compile(backend, SKELETON, SPEC, tmp_path)
    data = np.linspace(0, 1, 3000, dtype=np.float32)
    result = backend.validate(build, SPEC, [Problem("linspace:3000", data, 1e-3)], tmp_path)
    assert result.verdict is Verdict.error_status and "reported status 1" in result.detail, result
    assert result.sdk_version == build.sdk_version


def test_skeleton_timestamps_reach_the_host(tmp_path):
    """One probe launch of each function: the <time> stamps the skeleton takes read as positive cycles."""
    backend = _backend()
    build = _compile(backend, SKELETON, SPEC, tmp_path)
    run = run_harness(backend.config, build, "probe", [], SPEC, backend.params(SPEC), tmp_path)
    assert run.result is not None, (run.outcome.stderr[-2000:], run.lines)
    assert run.result["compress_cycles"] > 0 and run.result["decompress_cycles"] > 0, run.result
    assert set(run.result["compress_status"]) == {1}  # the stub's "not implemented"


def test_szx_quantizer_validates_and_times_on_a_row_of_pes(tmp_path):
    """The reference translation on a 4x1 row: correct on smooth and rough data, with device time."""
    backend = _backend(width=4, height=1)
    build = _compile(backend, REFERENCE, SZX, tmp_path)
    rng = np.random.default_rng(0)
    smooth = np.sin(np.arange(20000) / 50).astype(np.float32)
    problems = [Problem("sine:20000", smooth, 1e-3), Problem("noise:5000", rng.normal(size=5000).astype(np.float32),
                                                              1e-2)]
    result = backend.validate(build, SZX, problems, tmp_path)
    assert result.ok, result
    bench = backend.benchmark(build, SZX, problems[:1], tmp_path)
    assert bench.ok and bench.cases[0].compress_cycles > 0 and bench.cases[0].ratio > 2, bench
    print(f"\n{build.sdk_version}: SZx quantizer on 4x1 PEs, ratio {bench.cases[0].ratio:.2f}, "
          f"compress {bench.cases[0].compress_cycles} cycles, decompress {bench.cases[0].decompress_cycles} cycles")
