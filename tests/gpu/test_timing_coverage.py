"""Every microsecond of device work a call causes is timed, or the result says it ran off the clock.

One lossless copy codec (tests/backends/adversarial_cuda/hidden_work.cu) hides its device work from the
ABI stream in one way per variant: a private stream, the per-thread default stream, a CUDA graph, another
host thread, a memset on a side stream, and work launched after the call returned. The copies are short
(tens of microseconds), so they finish before any check that waits for the device: only a timer that sees
every stream counts them. Needs a GPU, CuPy, nvcc and cupti-python (run with -m gpu).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from szagents.backends.cuda import CudaBackend, CudaConfig
from szagents.backends.protocol import BenchSettings, KernelSpec, Problem
from szagents.backends.results import Verdict
from szagents.backends.sandbox import Limits
from tests.cuda_builds import compile_all

pytestmark = pytest.mark.gpu

HERE = Path(__file__).resolve().parent.parent / "backends" / "adversarial_cuda"
SETTINGS = BenchSettings(min_seconds=0.05, min_reps=10, max_reps=16)
HIDDEN = {"private_stream": 1, "per_thread_stream": 2, "cuda_graph": 3, "other_host_thread": 4, "side_memset": 5}


@pytest.fixture(scope="module")
def backend() -> CudaBackend:
    chosen = CudaBackend(CudaConfig(run_limits=Limits(wall_seconds=60, address_space_bytes=None)))
    state = chosen.availability()
    if not state.available:
        pytest.skip(state.reason)
    return chosen


@pytest.fixture(scope="module")
def problem() -> Problem:
    return Problem("random", np.random.default_rng(21).normal(size=16_000_003).astype(np.float32), 1e-3)


def _spec(where: int) -> KernelSpec:
    return KernelSpec(codec="raw", defines={"WHERE": str(where)})


@pytest.fixture(scope="module", autouse=True)
def _built(backend, tmp_path_factory) -> None:
    """Every variant compiled at once (nvcc runs in parallel); the tests find them in the build cache."""
    compile_all(backend, [([HERE / "hidden_work.cu", HERE / "raw_common.cuh"], _spec(w)) for w in range(7)],
                tmp_path_factory.mktemp("builds"))


def _why(timing) -> dict:
    """What a failed comparison needs to be read: where the median came from and where the round trip went."""
    return {k: getattr(timing, k) for k in ("median_seconds", "claimed_median_seconds", "bound_median_seconds",
                                             "time_source", "handshake_seconds", "host_cv", "cv", "phases_us")}


def _measure(backend, problem, where: int, tmp_path):
    build = backend.compile([HERE / "hidden_work.cu", HERE / "raw_common.cuh"], _spec(where), tmp_path)
    assert build.ok, build.log
    return backend.validate_and_benchmark(build, _spec(where), [problem], [problem], tmp_path, SETTINGS)


@pytest.fixture(scope="module")
def honest(backend, problem, tmp_path_factory):
    checked, measured = _measure(backend, problem, 0, tmp_path_factory.mktemp("honest"))
    assert checked.ok and measured is not None and measured.ok, (checked.detail, measured and measured.detail)
    case = measured.cases[0]
    assert case.compress.coverage == "cupti", case.compress.trace_note
    return case


@pytest.mark.serial  # compares two timings: alone on the GPU (scripts/gpu_check.sh runs these after the others)
@pytest.mark.parametrize("variant", sorted(HIDDEN))
def test_hidden_device_work_is_timed_or_flagged(backend, problem, honest, tmp_path, variant):
    """Work the call hides from the ABI stream is inside the timed figure (the device work the trace saw in the
    call's window is never less than the same copy on the ABI stream, less the noise; the reported median never
    below it), or the result is a failure that names it. The two runs' reported medians are not compared: each is
    raised to its own process's handshake floor, which differs between processes by more than the copy takes
    (H100, 2026-12-05: claims 47.9 and 47.7 us, reported 86 and 110 us); steadiness is bench/gpu_steadiness.py's."""
    checked, measured = _measure(backend, problem, HIDDEN[variant], tmp_path)
    if not checked.ok or measured is None or not measured.ok:
        failed = measured if checked.ok and measured is not None else checked
        assert failed.verdict in (Verdict.timing_evaded, Verdict.cheat_detected, Verdict.unwritten_output), failed.detail
        return
    case = measured.cases[0]
    assert case.compress.coverage == "cupti"
    for hidden, fair in ((case.compress, honest.compress), (case.decompress, honest.decompress)):
        assert hidden.claimed_median_seconds >= 0.8 * fair.claimed_median_seconds, (variant, _why(hidden), _why(fair))
        assert hidden.median_seconds >= hidden.claimed_median_seconds, (variant, _why(hidden))


def test_work_launched_after_the_call_returned_is_timing_evaded(backend, problem, tmp_path):
    """A copy another host thread launches 300 us after the call returned runs off the clock: the verdict
    is timing_evaded and its detail says what ran and when."""
    checked, measured = _measure(backend, problem, 6, tmp_path)
    assert checked.ok, checked.detail
    assert measured is not None and measured.verdict is Verdict.timing_evaded, measured and measured.detail
    assert "outside every timed call" in measured.detail and "memcpy" in measured.detail

