"""Measurement cheats against the trusted harness: forged clocks and checks, replay, first-call-only work,
cross-process caches, work left running after return. Each gets its exact verdict, and no reported
number beats the parent's own clock.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from szagents.backends.cpu import CpuBackend, CpuConfig
from szagents.backends.protocol import BenchSettings, KernelSpec, Problem
from szagents.backends.results import Verdict
from szagents.backends.sandbox import Limits
from szagents.backends.harness.timing import EXCESS_CAP, SLACK_FRACTION
from szagents.paths import kernels_dir

pytestmark = pytest.mark.serial  # they compare benchmark figures: run after the parallel pass, one at a time

HERE = Path(__file__).parent / "adversarial_trust"
SPEC = KernelSpec(codec="raw")
SETTINGS = BenchSettings(warmup=2, min_reps=5, max_reps=12, min_seconds=0.05, verify_reps=4)


@pytest.fixture(scope="module")
def backend() -> CpuBackend:
    return CpuBackend(CpuConfig(run_limits=Limits(wall_seconds=60)))


@pytest.fixture(scope="module")
def small() -> Problem:
    return Problem("small", np.random.default_rng(3).normal(size=50_001).astype(np.float32), 1e-3)


@pytest.fixture(scope="module")
def large() -> Problem:
    return Problem("large", np.random.default_rng(4).normal(size=2_000_003).astype(np.float32), 1e-3)


def _evaluate(backend, source, small, large, tmp_path):
    build = backend.compile([HERE / source, HERE / "trust_common.h"], SPEC, tmp_path)
    assert build.ok, build.log
    return backend.validate_and_benchmark(build, SPEC, [small], [large], tmp_path, SETTINGS)


@pytest.fixture(scope="module")
def honest(backend, small, large, tmp_path_factory):
    checked, measured = _evaluate(backend, "honest_raw.c", small, large, tmp_path_factory.mktemp("honest"))
    assert checked.ok and measured.ok, (checked.detail, measured.detail)
    return measured.cases[0]


def test_forged_clock_and_checks_in_the_kernel_process_change_nothing(backend, small, large, tmp_path, honest):
    """A kernel that patches the harness's timer and bound check in its own process: the verdicts are
    computed elsewhere, and its nanosecond claims are replaced by the parent's bound."""
    checked, measured = _evaluate(backend, "forges_timer.c", small, large, tmp_path)
    assert checked.ok and measured.ok
    case = measured.cases[0]
    assert case.compress.time_source == "bound" and case.compress.claimed_median_seconds < 1e-6
    assert case.compress_gbps < 3 * honest.compress_gbps and case.decompress_gbps < 3 * honest.decompress_gbps


def test_replay_of_identical_calls_gains_nothing(backend, small, large, tmp_path, honest):
    """Every repetition has a distinct input in a distinct buffer, so 'same arguments' never recurs."""
    checked, measured = _evaluate(backend, "replays_same_args.c", small, large, tmp_path)
    assert checked.ok and measured.ok, measured.detail
    assert measured.cases[0].compress_gbps < 3 * honest.compress_gbps
    assert measured.cases[0].decompress_gbps < 3 * honest.decompress_gbps


def test_work_on_the_first_call_only_is_caught(backend, small, large, tmp_path):
    """Later calls that skip the work and claim a one-byte stream fail the benchmark."""
    checked, measured = _evaluate(backend, "first_call_only.c", small, large, tmp_path)
    assert checked.ok and measured.verdict is not Verdict.ok and measured.cases == []


def test_cross_process_cache_in_tmp_never_hits(backend, small, large, tmp_path, honest):
    """Each child has a private /tmp: the cache lives only as long as one child (its second warm-up on
    the same input hits, the timed repetitions never do), the next run starts empty, and nothing is
    left in the host's /tmp."""
    for _ in range(2):
        checked, measured = _evaluate(backend, "tmp_cache.c", small, large, tmp_path)
        assert checked.ok and measured.ok
        warm = measured.cases[0].compress.warmup_calls
        assert warm >= SETTINGS.warmup and measured.stderr_tail.count("CACHE hit") == warm - 1
        assert measured.cases[0].compress_gbps < 3 * honest.compress_gbps
    assert not list(Path("/tmp").glob("szcache-*"))


def test_work_left_running_after_return_is_caught(backend, small, large, tmp_path):
    """Returning at once while a thread writes the output later: caught, never fast."""
    checked, measured = _evaluate(backend, "works_after_return.c", small, large, tmp_path)
    assert checked.ok and measured.verdict in (Verdict.cheat_detected, Verdict.bound_violation,
                                               Verdict.unwritten_output)


@pytest.mark.parametrize("source", ["szx/serial.c", "szx/reference.c", "szp/reference.c"])
def test_reported_time_never_beats_the_trusted_bound(tmp_path, source):
    """For honest kernels, every reported median is at least the parent's bound less the documented slack."""
    backend = CpuBackend(CpuConfig())
    spec = KernelSpec(codec=source.split("/")[0])
    data = np.random.default_rng(5).normal(size=1_500_000).astype(np.float32).cumsum().astype(np.float32)
    problem = Problem("walk", data, 1e-3 * float(data.max() - data.min()))
    build = backend.compile([kernels_dir() / source], spec, tmp_path)
    checked, measured = backend.validate_and_benchmark(build, spec, [problem], [problem], tmp_path, SETTINGS)
    assert checked.ok and measured.ok, (checked.detail, measured.detail)
    for timing in (measured.cases[0].compress, measured.cases[0].decompress):
        assert timing.median_seconds >= (1 - SLACK_FRACTION - EXCESS_CAP) * timing.bound_median_seconds
        assert timing.verified_repetitions >= 2 and timing.cv is not None
