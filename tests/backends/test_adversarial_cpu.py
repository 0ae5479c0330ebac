"""The cpu harness classifies broken and cheating kernels correctly, and survives all of them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from szagents.backends.cpu import CpuBackend, CpuConfig
from szagents.backends.harness import launch
from szagents.backends.protocol import QUICK_BENCH, KernelSpec, Problem
from szagents.backends.results import Verdict
from szagents.backends.sandbox import Limits

HERE = Path(__file__).parent / "adversarial"
SPEC = KernelSpec(codec="raw")  # no reference codec: the harness falls back to a generous capacity

CASES = [
    ("honest.c", Verdict.ok, ""),
    ("syntax_error.c", Verdict.compile_error, "the build failed"),
    ("missing_symbol.c", Verdict.abi_error, "sz_decompress"),
    ("segfault.c", Verdict.crash, "SIGSEGV during compress"),
    ("exits.c", Verdict.crash, "exited with status 0 during compress"),
    ("infinite_loop.c", Verdict.timeout, "during decompress"),
    ("fork_loop.c", Verdict.timeout, "during compress"),
    ("writes_past_capacity.c", Verdict.size_error, "past out_capacity"),
    ("overstates_size.c", Verdict.size_error, "outside 1..out_capacity"),
    ("understates_size.c", Verdict.size_error, "under-reports"),
    ("reads_input.c", Verdict.cheat_detected, "reads the original input"),
    ("reads_stale_output.c", Verdict.cheat_detected, "compressor's output buffer"),
    ("cached_output.c", Verdict.cheat_detected, "earlier input"),
    ("writes_input.c", Verdict.cheat_detected, "modified its const input"),
    ("skips_outputs.c", Verdict.unwritten_output, "never written"),
    ("off_by_bound.c", Verdict.bound_violation, "first at index 123"),
    ("error_status.c", Verdict.error_status, "SZ_ERR_RANGE"),
    ("huge_allocation.c", Verdict.error_status, "SZ_ERR_DEVICE"),
]


@pytest.fixture(scope="module")
def backend() -> CpuBackend:
    return CpuBackend(CpuConfig(run_limits=Limits(wall_seconds=4, address_space_bytes=4 << 30)))


@pytest.fixture(scope="module")
def patient() -> CpuBackend:
    """For honest benchmarks: the 4 s limit is for the hangs, and a loaded machine may need more for a benchmark."""
    return CpuBackend(CpuConfig(run_limits=Limits(wall_seconds=120, address_space_bytes=4 << 30)))


@pytest.fixture(scope="module")
def problem() -> Problem:
    data = np.random.default_rng(7).normal(size=100_003).astype(np.float32)
    return Problem("random", data, 1e-3)


# The two timeouts wait out the 4 s wall limit (4.3 s each): slow; the others take under a second.
@pytest.mark.parametrize(("source", "verdict", "detail"),
                         [pytest.param(*c, id=c[0], marks=[pytest.mark.slow] if c[1] is Verdict.timeout else [])
                          for c in CASES])
def test_harness_classifies_kernel(backend, problem, tmp_path, source, verdict, detail):
    """Each adversarial kernel gets its own verdict and a detail naming what it did."""
    build = backend.compile([HERE / source, HERE / "raw_common.h"], SPEC, tmp_path)
    result = backend.validate(build, SPEC, [problem], tmp_path)
    assert result.verdict is verdict, (result.detail, result.stderr_tail)
    assert detail in result.detail


def test_compile_error_keeps_the_diagnostics(backend, tmp_path):
    """A failed compile returns the compiler's log with file and line of the error."""
    build = backend.compile([HERE / "syntax_error.c", HERE / "raw_common.h"], SPEC, tmp_path)
    assert not build.ok and build.verdict is Verdict.compile_error
    assert "syntax_error.c:4" in build.log and "error" in build.log


@pytest.mark.slow
def test_harness_survives_and_still_works_after_adversaries(backend, patient, problem, tmp_path):
    """After crashes, hangs and a fork bomb, an honest kernel still validates and benchmarks."""
    for source in ("segfault.c", "fork_loop.c", "honest.c"):
        build = backend.compile([HERE / source, HERE / "raw_common.h"], SPEC, tmp_path)
        last = backend.validate(build, SPEC, [problem], tmp_path)
    assert last.ok
    bench = patient.benchmark(build, SPEC, [problem], tmp_path)
    assert bench.ok and bench.cases[0].ratio == pytest.approx(1.0)


@pytest.mark.slow
def test_concurrent_runs_do_not_share_the_thread_cap(tmp_path):
    """Three OpenMP kernels validated at once each get their own process cap (a private uid each)."""
    from concurrent.futures import ThreadPoolExecutor

    from szagents.paths import kernels_dir

    backend = CpuBackend(CpuConfig(omp_num_threads=2, run_limits=Limits(wall_seconds=60, processes=8)))
    spec = KernelSpec(codec="szx")
    build = backend.compile([kernels_dir() / "szx" / "reference.c"], spec, tmp_path)
    data = np.random.default_rng(1).normal(size=300_000).astype(np.float32)
    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda i: backend.validate(build, spec, [Problem(f"r{i}", data, 1e-3)], tmp_path), range(3)))
    assert all(r.ok for r in results), [(r.verdict, r.detail, r.stderr_tail) for r in results]


@pytest.mark.slow
def test_validate_and_benchmark_in_one_child(backend, patient, problem, tmp_path):
    """The combined op validates, then benchmarks; a failed validation skips the benchmark."""
    honest = backend.compile([HERE / "honest.c", HERE / "raw_common.h"], SPEC, tmp_path)
    checked, measured = patient.validate_and_benchmark(honest, SPEC, [problem], [problem], tmp_path)
    assert checked.ok and measured is not None and measured.ok and measured.environment.backend == "cpu"
    phases = measured.cases[0].compress.phases_us  # each round trip split at the child's marks, calls and nulls
    assert phases is not None and all(v >= 0 for part in ("calls", "null") for v in phases[part].values()), phases
    broken = backend.compile([HERE / "off_by_bound.c", HERE / "raw_common.h"], SPEC, tmp_path)
    checked, measured = backend.validate_and_benchmark(broken, SPEC, [problem], [problem], tmp_path)
    assert checked.verdict is Verdict.bound_violation and measured is None
    slow = backend.compile([HERE / "infinite_loop.c", HERE / "raw_common.h"], SPEC, tmp_path)
    checked, measured = backend.validate_and_benchmark(slow, SPEC, [problem], [problem], tmp_path)
    assert checked.verdict is Verdict.timeout and measured is None


@pytest.mark.slow
def test_repetitions_started_in_batches_each_answer_and_share_the_wall(patient, problem, tmp_path, monkeypatch):
    """The GPU's batched `go` (timing.py, "Batches") driven on cpu with batches of 4: 26 repetitions run as
    six batches of 4 and one of 2 (at most 26 // 6 a batch), every one verified and timed, in both
    directions; the calls' phases show the time between calls of a batch, the null handshakes' do not."""
    monkeypatch.setitem(launch.BATCHES, "cpu", 4)
    honest = patient.compile([HERE / "honest.c", HERE / "raw_common.h"], SPEC, tmp_path)
    settings = QUICK_BENCH.model_copy(update={"min_reps": 26, "max_reps": 26})
    measured = patient.benchmark(honest, SPEC, [problem], tmp_path, settings)
    assert measured.ok, (measured.verdict, measured.detail)
    case = measured.cases[0]
    for timing in (case.compress, case.decompress):
        assert timing.repetitions == 26 and timing.verified_repetitions == 27  # and the warm-up's output
        assert timing.phases_us is not None and "between" in timing.phases_us["calls"], timing.phases_us
        assert "between" not in timing.phases_us["null"]


def test_the_child_runs_no_threads_beside_the_kernel(backend, problem, tmp_path, monkeypatch):
    """With no OMP_NUM_THREADS set (a user's shell), the harness child holds one thread when the kernel is called:
    numpy's OpenBLAS would start one per core, spinning beside the kernel (one_thread.c refuses to run with any)."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    build = backend.compile([HERE / "one_thread.c", HERE / "raw_common.h"], SPEC, tmp_path)
    result = backend.validate(build, SPEC, [problem], tmp_path)
    assert result.ok, (result.verdict, result.detail)
