"""Work off the clock on cpu, the arithmetic: each gap split into after-the-call and off-the-clock CPU, the tolerance,
and the detail of `timing_evaded` (the attacks and the honest references: test_adversarial_redteam.py)."""

from __future__ import annotations

import pytest

from szagents.backends.harness.offclock import ABS_SECONDS_PER_REP, REL_OF_ON_CLOCK, CpuMarks, evasion, off_clock


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
    where = "0.0 ms before the first go, 3.0 ms between timed repetitions (the most, 3.0 ms, between 1 and 2)"
    assert where in failure.detail
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
