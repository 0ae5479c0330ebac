"""The CPU time of a process tree, read from outside: threads and processes that exited still count."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from szagents.backends.sandbox import Limits, SandboxProcess, SandboxSpec, TreeCpu
from szagents.backends.sandbox.cgroup import cgroup_mode

# Burns ~0.3 s of CPU in a thread that exits and ~0.3 s in a child process that is reaped, then sleeps.
BURN = """
import os, threading, time
def burn(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
thread = threading.Thread(target=burn, args=(0.3,))
thread.start(); thread.join()
pid = os.fork()
if pid == 0:
    burn(0.3); os._exit(0)
os.waitpid(pid, 0)
print("burnt", flush=True)
time.sleep(30)
"""
SPIN = """
import threading, time
threading.Thread(target=lambda: [None for _ in iter(int, 1)], daemon=True).start()
print("spinning", flush=True)
time.sleep(30)
"""


def _started(code: str) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline()  # it has done its work
    return process


def test_process_clocks_count_exited_threads_and_reaped_children():
    """The fallback sees the 0.3 s of a thread that ended and the 0.3 s of a child process its parent reaped."""
    process = _started(BURN)
    try:
        seconds = TreeCpu(process.pid).seconds()
    finally:
        process.kill()
        process.wait()
    assert seconds is not None and 0.55 <= seconds <= 2.0, seconds  # cutime is in clock ticks: 10 ms steps


def test_busy_threads_sees_a_spinning_thread_and_not_a_sleeping_process():
    """A thread in a busy loop is running or runnable; a process asleep in time.sleep has no busy thread."""
    sleeping = subprocess.Popen([sys.executable, "-c", "import time; print('up', flush=True); time.sleep(30)"],
                                stdout=subprocess.PIPE, text=True)
    spinning = _started(SPIN)
    try:
        assert sleeping.stdout is not None and sleeping.stdout.readline()
        time.sleep(0.05)
        assert TreeCpu(sleeping.pid).busy_threads() == 0
        assert TreeCpu(spinning.pid).busy_threads() >= 1
    finally:
        for process in (sleeping, spinning):
            process.kill()
            process.wait()


def test_a_sandboxed_tree_is_read_through_its_cgroup_where_one_is_delegated(tmp_path):
    """With a delegated cgroup the reading names it and counts the 0.6 s the tree burnt (its exited parts too)."""
    if cgroup_mode() is None:
        pytest.skip("no cgroup is delegated here")
    process = SandboxProcess([sys.executable, "-c", BURN], limits=Limits(wall_seconds=60), cwd=tmp_path,
                             spec=SandboxSpec(python=True))
    process.start()
    try:
        cpu = process.tree_cpu()
        deadline = time.perf_counter() + 30
        while (cpu.seconds() or 0.0) < 0.55 and process.alive() and time.perf_counter() < deadline:
            time.sleep(0.05)
        seconds = cpu.seconds()
    finally:
        outcome = process.finish(kill=True)
    if cpu.source == "process clocks":
        pytest.skip("the delegated cgroup has no CPU accounting here")
    assert cpu.source.startswith("cgroup"), cpu.source
    assert seconds is not None and 0.55 <= seconds <= 2.0, (seconds, outcome.stderr)
