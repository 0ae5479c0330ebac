"""`validate --bench` shows J/GB beside GB/s where the GPU's energy was measured, with the note saying how (or why
not); a cpu result, which has no energy, keeps its table."""

from __future__ import annotations

import pytest
from rich.console import Console

from szagents.backends.protocol import QUICK_BENCH
from szagents.backends.registry import get_backend
from szagents.backends.results import BenchmarkResult
from szagents.cli.render import print_benchmark
from szagents.paths import kernels_dir
from szagents.tasks.evaluate import build_problems, evaluate, kernel_spec
from szagents.tasks.task import Suite, load_kernel

pytestmark = pytest.mark.slow  # 2.4 s


def _shown(result: BenchmarkResult) -> str:
    console = Console(record=True, width=250)
    print_benchmark(console, result)
    return console.export_text()


def test_joules_per_gb_are_shown_beside_throughput_with_the_note(tmp_path):
    """A measured compress figure and a missing decompress one: `0.812/-` in a J/GB column, and the note below."""
    problems = build_problems(Suite(datasets=("grf_smooth:32x64x64",), relative_bounds=(1e-3,)))
    result = evaluate(get_backend("cpu"), [kernels_dir() / "szx" / "serial.c"], kernel_spec(load_kernel("szx")),
                      tmp_path, problems, problems, QUICK_BENCH).benchmark
    assert result is not None and result.ok
    assert "J/GB" not in _shown(result)  # cpu: no energy counter, no column
    note = "compress: window 812.0 ms; decompress: too short for NVML's energy counter"
    measured = result.cases[0].model_copy(update={"compress_joules_per_gb": 0.812, "energy_note": note})
    text = _shown(result.model_copy(update={"cases": [measured]}))
    assert "J/GB c/d" in text and "0.812/-" in text
    assert f"energy, {measured.dataset}: {note}" in text
