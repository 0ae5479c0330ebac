"""The szagents command line: real compiles and harness runs, exit codes 0 / 1 / 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from szagents.paths import kernels_dir

ADVERSARIAL = Path(__file__).parents[1] / "backends" / "adversarial"
SMALL = ["--dataset", "climate:90x180", "--rel", "1e-3"]


def szagents(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "szagents.cli", *args], capture_output=True, text=True, env=env, timeout=300)


def test_validate_reference_kernel_passes():
    """validate on the SZx C reference prints an ok table and exits 0."""
    done = szagents("validate", "--kernel", "szx", str(kernels_dir() / "szx" / "reference.c"), *SMALL)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "validation: ok" in done.stdout and "climate:90x180@rel=0.001" in done.stdout


def test_validate_broken_kernel_exits_1_with_the_reason():
    """A kernel that breaks the bound exits 1 and the output names the first bad index."""
    done = szagents("validate", "--kernel", "szx", str(ADVERSARIAL / "off_by_bound.c"), str(ADVERSARIAL / "raw_common.h"), *SMALL)
    assert done.returncode == 1
    assert "bound_violation" in done.stdout and "first at index 123" in done.stdout


@pytest.mark.slow
def test_validate_with_benchmark_prints_throughput():
    """--bench-dataset benchmarks on the datasets named (the kernel's benchmark suite is the whole 25.9 MB field and
    more) and adds a benchmark table with GB/s columns for them."""
    done = szagents("validate", "--kernel", "szp", "--variant", "outlier", str(kernels_dir() / "szp" / "reference.c"),
                    *SMALL, "--bench-dataset", "climate:45x90")
    assert done.returncode == 0, done.stdout + done.stderr
    table = done.stdout.partition("benchmark on")[2]  # the benchmark table, after the validation table
    assert "climate:45x90" in table and "climate:90x180" not in table and "compress GB/s" in table


def test_a_bad_benchmark_dataset_is_a_usage_error():
    """A benchmark dataset spec that names no generator fails before anything is compiled, naming it."""
    done = szagents("validate", "--kernel", "szp", str(kernels_dir() / "szp" / "reference.c"), *SMALL,
                    "--bench-dataset", "nosuchfield:9x9")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "nosuchfield" in done.stdout + done.stderr


def test_usage_and_environment_errors_exit_2():
    """Unknown kernels and backends exit 2 with a message naming the known ones."""
    source = str(kernels_dir() / "szx" / "reference.c")
    unknown_kernel = szagents("validate", "--kernel", "zfp", source)
    assert unknown_kernel.returncode == 2 and "known kernels" in unknown_kernel.stderr
    unknown_backend = szagents("validate", "--kernel", "szx", "--backend", "tpu", source)
    assert unknown_backend.returncode == 2 and "known backends" in unknown_backend.stderr
    missing = szagents("validate", "--kernel", "szx", "no_such_file.c")
    assert missing.returncode == 2


def test_tasks_and_backends_list():
    """tasks lists task ids; backends reports cpu as usable."""
    tasks = szagents("tasks")
    assert tasks.returncode == 0 and "szx-translate-cerebras" in tasks.stdout
    backends = szagents("backends")
    assert backends.returncode == 0 and "cpu" in backends.stdout and "cuda" in backends.stdout
