"""Benchmark slots: one holder per device across threads and processes; off unless configured."""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
from pathlib import Path

import pytest

from szagents.errors import UnknownSpecError
from szagents.tasks.slots import bench_slot, device_key


def _work(spec: str, intervals: list, rounds: int = 3) -> None:
    for _ in range(rounds):
        with bench_slot("cpu", label="t", spec=spec):
            start = time.monotonic()
            time.sleep(0.05)
            intervals.append((start, time.monotonic()))


def _overlaps(intervals: list) -> int:
    ordered = sorted(intervals)
    return sum(b[0] < a[1] for a, b in zip(ordered, ordered[1:]))


def _run_threads(spec: str) -> list:
    intervals: list = []
    threads = [threading.Thread(target=_work, args=(spec, intervals)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return intervals


def test_file_slot_serializes_threads_and_logs_every_hold(tmp_path: Path):
    """4 threads x 3 holds of 50 ms: no two overlap, and holds.jsonl has the 12 holds on device cpu."""
    intervals = _run_threads(str(tmp_path))
    assert len(intervals) == 12 and _overlaps(intervals) == 0
    holds = [json.loads(line) for line in (tmp_path / "holds.jsonl").read_text().splitlines()]
    assert len(holds) == 12 and {h["device"] for h in holds} == {"cpu"} and {h["label"] for h in holds} == {"t"}


def test_without_a_slot_the_same_work_overlaps():
    """The control: with slots off (empty spec) the same threads do overlap, so the check above can fail."""
    assert _overlaps(_run_threads("")) > 0


def _hold_in_child(folder: str, queue) -> None:  # runs in a child process
    intervals: list = []
    _work(folder, intervals, rounds=4)
    queue.put(intervals)


@pytest.mark.slow
def test_file_slot_serializes_processes(tmp_path: Path):
    """Two processes (as two `szagents` runs would be) never hold the cpu slot at once."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_hold_in_child, args=(str(tmp_path), queue)) for _ in range(2)]
    for p in procs:
        p.start()
    intervals = queue.get(timeout=60) + queue.get(timeout=60)
    for p in procs:
        p.join(timeout=30)
    assert len(intervals) == 8 and _overlaps(intervals) == 0


def test_device_keys_and_bad_specs(monkeypatch: pytest.MonkeyPatch):
    """cuda slots follow the first visible GPU; an unknown scheme is a clear error."""
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,1")
    assert device_key("cuda") == "cuda3" and device_key("cpu") == "cpu"
    with pytest.raises(UnknownSpecError, match="unknown scheme 'nfs'"):
        bench_slot("cpu", spec="nfs:server")


@pytest.mark.slow
def test_a_validation_waits_for_the_devices_slot(tmp_path: Path, monkeypatch):
    """Untrusted code runs in a validation too: while another holder has the cpu slot, a validation waits."""
    import numpy as np

    from szagents.backends.cpu import CpuBackend
    from szagents.backends.protocol import KernelSpec, Problem
    from szagents.paths import kernels_dir
    from szagents.tasks.evaluate import evaluate
    from szagents.tasks.slots import file_slot

    monkeypatch.setenv("SZAGENTS_BENCH_SLOTS", str(tmp_path / "slots"))
    data = np.random.default_rng(1).normal(size=4099).cumsum().astype(np.float32)
    backend, finished = CpuBackend(), []
    run = lambda: finished.append(evaluate(backend, [kernels_dir() / "szx" / "serial.c"], KernelSpec(codec="szx"),  # noqa: E731
                                           tmp_path / "work", [Problem("d", data, 0.01)]))
    backend.compile([kernels_dir() / "szx" / "serial.c"], KernelSpec(codec="szx"), tmp_path / "work")  # warm the cache
    with file_slot(tmp_path / "slots", "cpu", "other run's benchmark"):
        worker = threading.Thread(target=run)
        worker.start()
        worker.join(timeout=3.0)
        assert worker.is_alive() and not finished  # waiting for the slot, not validating
    worker.join(timeout=120)
    assert finished and finished[0].validation.ok
    holds = [json.loads(line) for line in (tmp_path / "slots" / "holds.jsonl").read_text().splitlines()]
    assert [h["label"] for h in holds] == ["other run's benchmark", str(tmp_path / "work")]
