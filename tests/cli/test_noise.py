"""`validate --bench` (and every benchmark table) warns when the timed repetitions spread too much."""

from __future__ import annotations

from rich.console import Console

from szagents.backends.registry import get_backend
from szagents.backends.results import BenchmarkResult, Timing
from szagents.cli.noise import NOISY_CV, noise_warnings
from szagents.cli.render import print_benchmark
from szagents.paths import kernels_dir
from szagents.tasks.evaluate import build_problems, evaluate, kernel_spec
from szagents.tasks.task import Suite, load_kernel


def _real_benchmark(tmp_path) -> BenchmarkResult:
    kernel = load_kernel("szx")
    problems = build_problems(Suite(datasets=("grf_smooth:32x64x64",), relative_bounds=(1e-3,)))
    result = evaluate(get_backend("cpu"), [kernels_dir() / "szx" / "serial.c"], kernel_spec(kernel), tmp_path,
                      problems, problems)
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
    assert "compression: the timed repetitions vary by 20%" in text and "too noisy to trust" in text
