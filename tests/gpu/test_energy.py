"""NVML's energy counter on a real GPU: it updates (its period measured and printed), a busy GPU's power read
through EnergyMeter is plausible, and the cuda harness puts J/GB (or why there is none) into its results.
Needs a GPU, CuPy, nvcc and nvidia-ml-py (run with `pytest -m gpu -s` to see the figures)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from szagents.backends.harness.energy import EnergyMeter, EnergyUnavailable, nvml_counter

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def counter():
    try:
        return nvml_counter()
    except EnergyUnavailable as exc:
        pytest.skip(str(exc))


def test_the_counter_updates_and_its_period_is_measured(counter):
    """Polled for 2 s, the counter advances (millijoules, monotonic) at least 5 times; the period is printed."""
    changes, last, end = [], counter.millijoules(), time.perf_counter() + 2.0
    while time.perf_counter() < end:
        value = counter.millijoules()
        assert value >= last
        if value != last:
            changes.append(time.perf_counter())
            last = value
        time.sleep(0.0002)
    assert len(changes) >= 5, f"only {len(changes)} updates in 2 s"
    period = float(np.median(np.diff(changes)))
    print(f"\nNVML total-energy counter: an update every {period * 1e3:.2f} ms ({len(changes)} in 2 s)")


@pytest.mark.serial  # idle and busy power: alone on the GPU (scripts/gpu_check.sh runs these after the others)
def test_a_busy_gpu_draws_plausible_power_through_the_meter(counter):
    """About 2 s of matrix multiplies between the meter's edges: the busy power is above idle and below 1.5 kW."""
    cp = pytest.importorskip("cupy", reason="CuPy is not installed")
    a = cp.random.random((8192, 8192), dtype=cp.float32)
    meter = EnergyMeter(counter)
    meter.start("burn")
    busy, end = 0.0, time.perf_counter() + 2.0
    while time.perf_counter() < end:
        start = time.perf_counter()
        (a @ a).sum()
        cp.cuda.Device().synchronize()
        busy += time.perf_counter() - start
        time.sleep(0.002)  # gaps, subtracted at idle power
    meter.stop("burn")
    value, note = meter.joules_per_gb("burn", busy, 10**9)
    assert value is not None, note
    watts = value / busy
    idle = meter.windows["burn"].idle_watts
    print(f"\nbusy {watts:.0f} W, idle {idle:.0f} W; {note}")
    assert idle < watts < 1500, note


def test_the_cuda_harness_reports_joules_per_gb_or_why_not(counter, tmp_path):
    """The SZp reference on the climate field: every case carries an energy note, and a J/GB figure in a plausible
    range unless the note says the window was too short for the counter."""
    from szagents.backends.cuda import CudaBackend
    from szagents.paths import kernels_dir
    from szagents.tasks.evaluate import build_problems, kernel_spec
    from szagents.tasks.task import Suite, load_kernel

    backend = CudaBackend()
    if not backend.availability().available:
        pytest.skip(backend.availability().reason)
    spec = kernel_spec(load_kernel("szp"), None, False)
    build = backend.compile([kernels_dir() / "szp" / "reference.cu"], spec, tmp_path)
    assert build.ok, build.log
    problems = build_problems(Suite(datasets=("climate",), relative_bounds=(1e-3,)))
    checked, measured = backend.validate_and_benchmark(build, spec, [], problems, tmp_path)
    assert measured is not None and measured.ok, measured.detail if measured else checked.detail
    for case in measured.cases:
        print(f"\n{case.dataset}: {case.compress_gbps:.0f} / {case.decompress_gbps:.0f} GB/s, "
              f"{case.compress_joules_per_gb} / {case.decompress_joules_per_gb} J/GB; {case.energy_note}")
        assert case.energy_note and "NVML could not" not in case.energy_note
        for value in (case.compress_joules_per_gb, case.decompress_joules_per_gb):
            assert (value is not None and 0.001 < value < 100) or "too short" in case.energy_note
