"""Joules per GB from an energy counter read around the timed repetitions: the arithmetic, idle subtraction, and
no number where the counter is too coarse or missing (against a strict fake of NVML's counter)."""

from __future__ import annotations

import re
import shutil

import pytest

from szagents.backends.harness.energy import MIN_UPDATES, EnergyMeter, EnergyUnavailable, nvml_counter

IDLE_W, BUSY_W = 90.0, 500.0


class Clock:
    """Simulated seconds: sleep advances them."""

    def __init__(self) -> None:
        self.t = 100.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.t += seconds


class Counter:
    """NVML's total-energy counter as documented: integer millijoules, monotonic, advancing only once every
    period_s (then holding the energy up to that update); the board draws BUSY_W while busy, else IDLE_W."""

    def __init__(self, clock: Clock, period_s: float) -> None:
        self.clock, self.period_s = clock, period_s
        self.busy: list[tuple[float, float]] = []  # (start, end) of busy intervals
        self.last = 0

    def _joules(self, t: float) -> float:
        busy = sum(max(0.0, min(t, b) - a) for a, b in self.busy)
        return IDLE_W * t + (BUSY_W - IDLE_W) * busy

    def millijoules(self) -> int:
        updated = (self.clock.t // self.period_s) * self.period_s
        value = int(self._joules(updated) * 1e3)
        assert value >= self.last  # monotonic
        self.last = value
        return value


def _run(period_s: float, reps: int, busy_s: float, gap_s: float,
         nbytes: int = 10**9) -> tuple[float | None, str, float]:
    """Measure reps calls of busy_s separated by gap_s; (J/GB, note, the true J/GB of the calls)."""
    clock = Clock()
    counter = Counter(clock, period_s)
    meter = EnergyMeter(counter, now=clock.now, sleep=clock.sleep)
    meter.start("c")
    for _ in range(reps):
        clock.t += gap_s
        counter.busy.append((clock.t, clock.t + busy_s))
        clock.t += busy_s
    meter.stop("c")
    value, note = meter.joules_per_gb("c", reps * busy_s, nbytes * reps)
    return value, note, BUSY_W * busy_s / (nbytes / 1e9)


def test_joules_per_gb_is_the_energy_of_the_timed_calls_over_their_bytes():
    """200 calls of 4 ms at 500 W on 1 GB each, counter updating every 10 ms: 2 J/GB within 2 %."""
    value, note, truth = _run(period_s=0.010, reps=200, busy_s=0.004, gap_s=0.003)
    assert value == pytest.approx(truth, rel=0.02), note
    assert re.search(r"idle (89|90|91) W subtracted", note) and "every 10.0 ms" in note, note


def test_the_gaps_between_calls_are_subtracted_at_idle_power():
    """Tripling the harness's gaps between calls changes the figure by less than 2 %."""
    short, _, _ = _run(period_s=0.010, reps=200, busy_s=0.004, gap_s=0.002)
    long, note, _ = _run(period_s=0.010, reps=200, busy_s=0.004, gap_s=0.006)
    assert long == pytest.approx(short, rel=0.02), note
    assert "40% in timed calls" in note


def test_a_window_of_too_few_counter_updates_gives_no_number():
    """Ten calls of 1 ms with a counter updating every 100 ms: no figure, and the note says why."""
    value, note, _ = _run(period_s=0.100, reps=10, busy_s=0.001, gap_s=0.001)
    assert value is None
    assert "too short for NVML's energy counter" in note and f"fewer than {MIN_UPDATES}" in note


def test_just_enough_updates_give_a_number():
    """A window just over MIN_UPDATES updates gets a figure."""
    value, note, truth = _run(period_s=0.010, reps=MIN_UPDATES + 1, busy_s=0.008, gap_s=0.002)
    assert value is not None and value == pytest.approx(truth, rel=0.15), note


def test_a_missing_counter_gives_the_reason_instead_of_a_number():
    """Without a counter every window reports why there is none."""
    meter = EnergyMeter(None, "the nvidia-ml-py package (import pynvml) is not installed")
    meter.start("c")
    meter.stop("c")
    assert meter.joules_per_gb("c", 1.0, 10**9) == (None, "the nvidia-ml-py package (import pynvml) is not installed")


def test_a_counter_that_stops_updating_gives_no_number():
    """A counter stuck at one value: the note says it did not change."""
    clock = Clock()

    class Stuck:
        def millijoules(self) -> int:
            return 1234

    meter = EnergyMeter(Stuck(), now=clock.now, sleep=clock.sleep)
    meter.start("c")
    meter.stop("c")
    value, note = meter.joules_per_gb("c", 1.0, 10**9)
    assert value is None and "did not change" in note


def test_without_a_gpu_nvml_is_unavailable_with_a_reason():
    """On a machine with no NVIDIA driver, opening the counter raises EnergyUnavailable naming the cause."""
    if shutil.which("nvidia-smi"):
        pytest.skip("this machine has an NVIDIA driver (tests/gpu/test_energy.py reads the real counter)")
    with pytest.raises(EnergyUnavailable, match="nvidia-ml-py|NVML could not be read"):
        nvml_counter()
