"""Work off the clock on cpu: the kernel's CPU outside the timed calls is charged, and beyond the tolerance
the benchmark is `timing_evaded`; honest references (OpenMP spin-waits included) stay `ok`."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from szagents.backends.cpu import CpuBackend, CpuConfig
from szagents.backends.offclock import ABS_SECONDS_PER_REP, REL_OF_ON_CLOCK, CpuMarks, evasion, off_clock
from szagents.backends.protocol import BenchSettings, KernelSpec, Problem
from szagents.backends.results import Verdict
from szagents.backends.sandbox import Limits
from szagents.backends.sandbox.cgroup import TreeGroup
from szagents.paths import kernels_dir

HERE = Path(__file__).parent / "adversarial_trust"
SETTINGS = BenchSettings(warmup=2, min_reps=5, max_reps=12, min_seconds=0.05, verify_reps=4)
HEADERS = ("trust_common.h", "rt.h", "quant.h")


@pytest.fixture(scope="module")
def backend() -> CpuBackend:
    return CpuBackend(CpuConfig(run_limits=Limits(wall_seconds=60)))


@pytest.fixture(scope="module")
def problems() -> tuple[Problem, Problem]:
    walk = lambda n, seed: np.random.default_rng(seed).normal(size=n).cumsum().astype(np.float32)  # noqa: E731
    small, large = walk(50_001, 3), walk(2_000_003, 4)
    return (Problem("small", small, 1e-3 * float(np.ptp(small))), Problem("large", large, 1e-3 * float(np.ptp(large))))


def _evaluate(backend, sources, problems, tmp_path, codec, defines=None):  # noqa: ANN001, ANN202
    spec = KernelSpec(codec=codec, defines=defines or {})
    build = backend.compile(list(sources), spec, tmp_path)
    assert build.ok, build.log
    return backend.validate_and_benchmark(build, spec, [problems[0]], [problems[1]], tmp_path, SETTINGS)


@pytest.fixture(params=["cgroup", "process clocks"])
def accounting(request, monkeypatch) -> str:
    """Both ways of reading the tree's CPU: its cgroup (where delegated) and the process-clock fallback."""
    if request.param == "process clocks":  # a machine that delegates no cgroup, simulated
        monkeypatch.setattr(TreeGroup, "cpu_file", lambda self: None)
        monkeypatch.setattr(TreeGroup, "threads_file", lambda self: None)
    elif not _cgroup_accounting():
        pytest.skip("no cgroup with CPU accounting is delegated here")
    return request.param


def _cgroup_accounting() -> bool:
    group = TreeGroup(None, 64)
    try:
        return group.create() and group.cpu_file() is not None
    finally:
        group.remove()


@pytest.mark.parametrize("ahead", ["2", "1"])  # 2: the whole input; 1: only its first half
def test_a_thread_that_computes_ahead_while_the_parent_stages_is_timing_evaded(backend, problems, tmp_path, ahead,
                                                                                accounting):
    """A constructor-started thread quantizes each staged input during the cache flush: every output is right, the
    CPU it used before `go` is charged, and the benchmark is timing_evaded naming the repetitions it ran between."""
    sources = [HERE / "stage_watch.c", *(HERE / h for h in HEADERS)]
    checked, measured = _evaluate(backend, sources, problems, tmp_path, "quant", {"AHEAD": ahead})
    assert checked.ok and measured is not None, checked.detail
    assert measured.verdict == Verdict.timing_evaded and "sz_compress" in measured.detail, measured.detail
    between = float(re.search(r"([\d.]+) ms between timed repetitions", measured.detail).group(1))
    allowed = float(re.search(r"allowed: ([\d.]+) ms", measured.detail).group(1))
    assert between > 3 * allowed, measured.detail  # the work ahead alone, not only the thread's polling before the first go


@pytest.mark.parametrize("source", ["szp/reference.c", "szx/reference.c", "szp/serial.c"])
def test_honest_references_stay_ok_and_report_their_cpu(backend, problems, tmp_path, source, accounting):
    """The SZp and SZx references (OpenMP, whose workers spin-wait after each call) and serial.c are `ok`; each
    direction reports its CPU on and off the clock, the latter within the tolerance."""
    kernel = source.split("/")[0]
    _, measured = _evaluate(backend, [kernels_dir() / source], problems, tmp_path, kernel)
    assert measured is not None and measured.ok, measured.detail if measured else None
    for timing in (measured.cases[0].compress, measured.cases[0].decompress):
        assert timing.on_clock_cpu_seconds > 0 and timing.after_call_cpu_seconds >= 0
        allowed = max(ABS_SECONDS_PER_REP * timing.repetitions, REL_OF_ON_CLOCK * timing.on_clock_cpu_seconds)
        assert timing.off_clock_cpu_seconds <= allowed
        assert timing.cpu_accounting == "process clocks" if accounting == "process clocks" else timing.cpu_accounting.startswith("cgroup")


def _marks(on_ms: list[float], off_ms: list[float], after_ms: float = 5.0) -> CpuMarks:
    """Marks of a case whose repetitions used on_ms inside and off_ms before each go (after_ms spin after each)."""
    marks, clock = CpuMarks(source="test"), 1.0
    marks.ready = clock
    for on, off in zip(on_ms, off_ms):
        clock += after_ms / 1e3
        marks.idle.append(clock)
        marks.settled.append(True)
        clock += off / 1e3
        marks.go.append(clock)
        clock += on / 1e3
        marks.done.append(clock)
    return marks


def test_the_gaps_are_split_into_after_the_call_and_off_the_clock():
    """Per repetition: done - go is on the clock, idle - previous done after the call, go - idle off the clock."""
    figures = off_clock(_marks([10, 10, 10], [0.0, 2.0, 0.5]))
    assert figures is not None
    assert figures.on_clock_seconds == pytest.approx(0.030)
    assert figures.after_call_seconds == pytest.approx(0.015)
    assert figures.off_clock_seconds == pytest.approx(0.0025)
    assert figures.windows == pytest.approx((0.0, 0.002, 0.0005))


def test_spin_after_a_call_is_never_charged():
    """Any amount of CPU between done and the idle tree leaves the verdict alone."""
    assert evasion("compress", off_clock(_marks([1] * 5, [0] * 5, after_ms=50.0))) is None


def test_off_clock_work_beyond_the_tolerance_is_timing_evaded_and_says_where():
    """3 ms before the third go in 5 repetitions of 10 ms: timing_evaded naming the direction, the amount and where."""
    failure = evasion("decompress", off_clock(_marks([10] * 5, [0, 0, 3.0, 0, 0])))
    assert failure is not None and failure.verdict == "timing_evaded"
    assert "sz_decompress" in failure.detail and "used 3.0 ms" in failure.detail
    assert "0.0 ms before the first go, 3.0 ms between timed repetitions (the most, 3.0 ms, between 1 and 2)" in failure.detail
    assert "3.0 ms before the first go" in evasion("compress", off_clock(_marks([10] * 5, [3.0, 0, 0, 0, 0]))).detail


def test_the_tolerance_is_an_absolute_floor_per_repetition_or_a_fraction_of_the_cpu_on_the_clock():
    """Just under either allowance passes; just over the larger one fails."""
    reps, on_ms = 10, 1.0  # the absolute floor decides
    floor_ms = ABS_SECONDS_PER_REP * 1e3 * reps
    assert evasion("compress", off_clock(_marks([on_ms] * reps, [0.99 * floor_ms / reps] * reps))) is None
    assert evasion("compress", off_clock(_marks([on_ms] * reps, [1.01 * floor_ms / reps] * reps))) is not None
    on_ms = 100.0  # the fraction decides
    share_ms = REL_OF_ON_CLOCK * on_ms
    assert evasion("compress", off_clock(_marks([on_ms] * reps, [0.99 * share_ms] * reps))) is None
    assert evasion("compress", off_clock(_marks([on_ms] * reps, [1.01 * share_ms] * reps))) is not None


def test_unreadable_cpu_is_no_verdict():
    """A tree whose CPU could not be read (gone, or no reading) yields no figures and no verdict."""
    marks = _marks([10] * 3, [5.0] * 3)
    marks.go[1] = None
    assert off_clock(marks) is None and evasion("compress", off_clock(marks)) is None
    assert off_clock(CpuMarks()) is None


def test_a_late_spin_in_a_few_repetitions_is_forgiven_but_a_thread_busy_every_time_is_not():
    """Windows staged while a thread still ran after the wait: not charged in 2 of 8 repetitions, charged in 3 of 5."""
    few = _marks([10] * 8, [0, 3.0, 0, 0, 3.0, 0, 0, 0])
    few.settled = [True, False, True, True, False, True, True, True]
    figures = off_clock(few)
    assert figures.off_clock_seconds == 0 and figures.after_call_seconds == pytest.approx(8 * 0.005 + 0.006)
    assert evasion("compress", figures) is None
    many = _marks([10] * 5, [3.0, 3.0, 3.0, 0, 0])
    many.settled = [False, False, False, True, True]
    failure = evasion("compress", off_clock(many))
    assert failure is not None and "3 times a thread still ran 100 ms after a call returned" in failure.detail
