"""`validate --bench` (and every benchmark table) warns when the timed repetitions spread too much."""

from __future__ import annotations

import os

import pytest
from rich.console import Console

from szagents.backends.protocol import QUICK_BENCH
from szagents.backends.registry import get_backend
from szagents.backends.results import BenchmarkResult, Timing
from szagents.cli.noise import NOISY_CV, noise_warnings
from szagents.cli.render import print_benchmark
from szagents.paths import kernels_dir
from szagents.tasks.evaluate import build_problems, evaluate, kernel_spec
from szagents.tasks.task import Suite, load_kernel

pytestmark = pytest.mark.slow  # 2.5 s a test


def _real_benchmark(tmp_path) -> BenchmarkResult:
    kernel = load_kernel("szx")
    problems = build_problems(Suite(datasets=("grf_smooth:32x64x64",), relative_bounds=(1e-3,)))
    result = evaluate(get_backend("cpu"), [kernels_dir() / "szx" / "serial.c"], kernel_spec(kernel), tmp_path,
                      problems, problems, QUICK_BENCH)  # a few repetitions have a CV as real as many
    assert result.benchmark is not None and result.benchmark.ok
    return result.benchmark


def test_warnings_follow_the_measured_cv(tmp_path):
    """A real measurement: every case warns at threshold 0, none above its own CV; the table prints them."""
    bench = _real_benchmark(tmp_path)
    case = bench.cases[0]
    assert case.compress.cv is not None and case.decompress.cv is not None
    assert len(noise_warnings(bench, threshold=0.0)) == 2
    assert noise_warnings(bench, threshold=max(case.compress.cv, case.decompress.cv)) == []
    noisy = case.model_copy(update={"compress": Timing(**{**case.compress.model_dump(), "cv": NOISY_CV * 2})})
    console = Console(record=True, width=200)
    print_benchmark(console, bench.model_copy(update={"cases": [noisy]}))
    text = console.export_text()
    assert "compression: the timed repetitions vary by 20%" in text and "this host is" in text


def _noisy(bench: BenchmarkResult, coverage: str) -> BenchmarkResult:
    case = bench.cases[0]
    timing = Timing(**{**case.compress.model_dump(), "cv": NOISY_CV * 3, "coverage": coverage})
    quiet = Timing(**{**case.decompress.model_dump(), "cv": 0.0, "coverage": coverage})  # whatever this host did
    return bench.model_copy(update={"cases": [case.model_copy(update={"compress": timing, "decompress": quiet})]})


def test_the_cause_named_is_the_gpu_for_device_times_and_the_host_only_when_it_is_busy(tmp_path, monkeypatch):
    """Device-timed spread names the GPU whatever the host's load; host-timed spread blames the host only
    when its load average says it is busy, and otherwise names the kernel."""
    bench = _real_benchmark(tmp_path)
    cores = len(os.sched_getaffinity(0))
    for load, busy in ((0.0, False), (4.0 * cores, True)):
        monkeypatch.setattr("os.getloadavg", lambda load=load: (load, load, load))
        (gpu,) = noise_warnings(_noisy(bench, "cupti"), threshold=NOISY_CV)
        assert "on the GPU itself" in gpu and "busy" not in gpu
        (host,) = noise_warnings(_noisy(bench, "host"), threshold=NOISY_CV)
        assert ("this host is busy" in host) is busy and ("this host is idle" in host) is not busy
