"""Attacks a red-team run found against the trusted cpu harness, each with the verdict it must now get.

- a child that truncates the shared arenas (the parent once died of SIGBUS reading them);
- control-socket lines json.loads rejects with something other than JSONDecodeError;
- work done ahead on repetition inputs already laid out in the arena (all repetitions on the first call);
- a content cache that undoes the repetitions' rotation and scale;
- a compressor that zeroes its const input and the arena's copy of it;
- a ratio taken from the warm-up while the timed calls use a fast, ratio-1 mode;
- a thread that works between repetitions, computing ahead on each input while the parent stages it and flushes
  the cache (off the clock: charged, and `timing_evaded`), while honest OpenMP references stay `ok`. The parent's
  targeted eviction leaves such a thread a fraction of a millisecond; the test gives it the widest window the
  harness can have, the sweep it falls back to where the eviction helper cannot be built.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from szagents.backends.cpu import CpuBackend, CpuConfig
from szagents.backends.protocol import BenchSettings, KernelSpec, Problem
from szagents.backends.results import Verdict
from szagents.backends.harness import eviction
from szagents.backends.harness.offclock import ABS_SECONDS_PER_REP, REL_OF_ON_CLOCK
from szagents.backends.sandbox import Limits
from szagents.backends.sandbox.cgroup import TreeGroup
from szagents.backends.harness.timing import claimed_number
from szagents.paths import kernels_dir

pytestmark = pytest.mark.serial  # they compare benchmark figures: run after the parallel pass, one at a time

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


def _evaluate(backend, source, problems, tmp_path, codec="raw", extra=(), defines=None):
    spec = KernelSpec(codec=codec, defines=defines or {})
    build = backend.compile([HERE / source, *(HERE / h for h in HEADERS), *extra], spec, tmp_path)
    assert build.ok, build.log
    return backend.validate_and_benchmark(build, spec, [problems[0]], [problems[1]], tmp_path, SETTINGS)


def test_truncating_the_arenas_cannot_kill_the_parent(backend, problems, tmp_path):
    """ftruncate(fd 6, 0) in the last timed call: the seal refuses it, the parent reads on and reports."""
    checked, measured = _evaluate(backend, "memfd_truncate_reps.c", problems, tmp_path)
    assert checked.ok and measured is not None and measured.ok, measured.detail if measured else checked.detail
    assert "SHRINK fd 6 -> -1" in measured.stderr_tail  # the kernel's own report: its ftruncate failed


@pytest.mark.parametrize("mode", ["1", "2"])  # a 5000-digit integer, 200,000 nested brackets
def test_unreadable_control_lines_are_a_classified_crash(backend, problems, tmp_path, mode):
    """A 5000-digit integer or 200,000 nested brackets on the control socket: `crash`, nothing escapes."""
    checked, measured = _evaluate(backend, "channel_junk.c", problems, tmp_path, defines={"MODE": mode})
    assert checked.verdict == Verdict.crash and "not JSON" in checked.detail and measured is None


def test_inputs_appear_only_at_go_so_no_call_works_ahead(backend, problems, tmp_path):
    """Doing every repetition on the first timed call finds empty slots: the later outputs are unwritten."""
    checked, measured = _evaluate(backend, "batch_ahead.c", problems, tmp_path)
    assert checked.ok and measured is not None
    assert measured.verdict in (Verdict.unwritten_output, Verdict.bound_violation), measured.detail


def test_a_cache_that_undoes_rotation_and_scale_misses_the_spikes(backend, problems, tmp_path):
    """Answering scale x the cached warm-up output is wrong at the secret spikes: bound_violation."""
    reference = tmp_path / "szx_reference_copy.h"
    shutil.copyfile(kernels_dir() / "szx" / "reference.c", reference)
    checked, measured = _evaluate(backend, "rotscale_cache.c", problems, tmp_path / "work", codec="szx",
                                  extra=(reference,))
    assert checked.ok and measured is not None
    assert measured.verdict == Verdict.bound_violation and "exceed eb" in measured.detail, measured.detail


def test_zeroing_the_const_input_and_the_arena_copy_is_caught(backend, problems, tmp_path):
    """The input is judged against the parent's private copy, not the arena the kernel can also write."""
    checked, _ = _evaluate(backend, "clobber_input.c", problems, tmp_path)
    assert checked.verdict == Verdict.cheat_detected and "const input" in checked.detail


def test_the_ratio_is_the_timed_calls_own(backend, problems, tmp_path):
    """High-ratio warm-up, ratio-1 timed calls: the reported ratio is the timed streams' (about 1)."""
    checked, measured = _evaluate(backend, "ratio_split.c", problems, tmp_path, codec="quant")
    assert checked.ok and measured is not None and measured.ok, measured.detail if measured else checked.detail
    assert checked.cases[0].ratio > 1.8  # validation saw the high-ratio mode
    assert measured.cases[0].ratio == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("claim, value", [(1.5, 1.5), (3, 3.0), (True, None), (10**400, None), (float("nan"), None),
                                          (-1.0, None), ("2", None), (None, None)])
def test_numeric_claims_are_finite_non_negative_numbers(claim, value):
    """A child's number is used only when it is a real, finite, non-negative int or float."""
    assert claimed_number(claim) == value


def test_the_environment_of_a_cpu_result_is_the_parents_own(backend, problems, tmp_path):
    """A kernel rewrites the runner's machine description (a Xeon, 224 threads, 0.5 GB/s of memory bandwidth): the result shows this host."""
    from szagents.backends.child.device import HostDevice

    checked, measured = _evaluate(backend, "forge_environment.c", problems, tmp_path)
    assert checked.ok and measured is not None and measured.ok, measured.detail if measured else checked.detail
    own = HostDevice().describe()
    assert measured.environment.device == own["device"] and measured.environment.threads == own["threads"]
    assert measured.environment.memory_bandwidth_gbps is None
    assert measured.cases[0].compress_bandwidth_fraction is None


def test_a_done_written_before_its_go_breaks_the_protocol(backend, problems, tmp_path):
    """A kernel that takes over the control socket and answers each repetition before it starts: `crash`."""
    checked, measured = _evaluate(backend, "fd3_proxy.c", problems, tmp_path)
    assert checked.ok and measured is not None
    assert measured.verdict == Verdict.crash and "harness protocol" in measured.detail, measured.detail


@pytest.mark.parametrize("source", ["seal_grow.c", "seal_future_write.c"])
def test_a_child_cannot_seal_the_arenas_against_the_parent(backend, problems, tmp_path, source):
    """F_SEAL_GROW / F_SEAL_FUTURE_WRITE on the repetition arena are refused: the parent grows and writes on."""
    checked, measured = _evaluate(backend, source, problems, tmp_path)
    assert checked.ok and measured is not None and measured.ok, measured.detail if measured else checked.detail


@pytest.mark.parametrize("half", ["0", "1"])  # 1: also claims half the base stream's size (ratio x2)
def test_a_cache_that_patches_the_spikes_fails_a_fresh_decode(backend, problems, tmp_path, half):
    """Cached warm-up answer + rotation, scale and a patch list of the spikes: every timed call decodes in the
    child that cached it, but one stream drawn in secret, decoded by a fresh process, is wrong."""
    reference = tmp_path / "szx_reference_copy.h"
    shutil.copyfile(kernels_dir() / "szx" / "reference.c", reference)
    checked, measured = _evaluate(backend, "rotscale_spike.c", problems, tmp_path / "work", codec="szx",
                                  extra=(reference,), defines={"HALF": half})
    assert checked.ok and measured is not None and not measured.ok, measured.detail if measured else checked.detail
    assert "fresh process" in measured.detail, measured.detail


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
                                                                                accounting, monkeypatch):
    """A constructor-started thread quantizes each staged input during the cache flush (the sweep: the longest
    flush there is): every output is right, the CPU it used before `go` is charged, and the benchmark is
    timing_evaded naming the repetitions it ran between."""
    monkeypatch.setattr(eviction, "_helper", lambda: (None, "the test wants the widest window"))
    checked, measured = _evaluate(backend, "stage_watch.c", problems, tmp_path, codec="quant", defines={"AHEAD": ahead})
    assert checked.ok and measured is not None, checked.detail
    assert measured.verdict == Verdict.timing_evaded and "sz_compress" in measured.detail, measured.detail
    between = float(re.search(r"([\d.]+) ms between timed repetitions", measured.detail).group(1))
    allowed = float(re.search(r"allowed: ([\d.]+) ms", measured.detail).group(1))
    assert between > allowed, measured.detail  # the work ahead alone, not only the polling before the first go


@pytest.mark.parametrize("source", ["szp/reference.c", "szx/reference.c", "szp/serial.c"])
def test_honest_references_stay_ok_and_report_their_cpu(backend, problems, tmp_path, source, accounting):
    """The SZp and SZx references (OpenMP, whose workers spin-wait after each call) and serial.c are `ok`, with
    each repetition's input and output evicted; each direction reports its CPU on and off the clock, the latter
    within the tolerance."""
    kernel = source.split("/")[0]
    spec = KernelSpec(codec=kernel)
    build = backend.compile([kernels_dir() / source], spec, tmp_path)
    assert build.ok, build.log
    _, measured = backend.validate_and_benchmark(build, spec, [problems[0]], [problems[1]], tmp_path, SETTINGS)
    assert measured is not None and measured.ok, measured.detail if measured else None
    assert measured.environment is not None and "input and output" in (measured.environment.cache_flush or "")
    for timing in (measured.cases[0].compress, measured.cases[0].decompress):
        assert timing.on_clock_cpu_seconds > 0 and timing.after_call_cpu_seconds >= 0
        allowed = max(ABS_SECONDS_PER_REP * timing.repetitions, REL_OF_ON_CLOCK * timing.on_clock_cpu_seconds)
        assert timing.off_clock_cpu_seconds <= allowed
        expected = "process clocks" if accounting == "process clocks" else "cgroup"
        assert timing.cpu_accounting.startswith(expected), timing.cpu_accounting
