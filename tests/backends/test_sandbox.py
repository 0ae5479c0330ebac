"""The sandbox kills hung process groups and reports signals."""

from __future__ import annotations

import sys
import time

from szagents.backends.sandbox import Limits, run_limited, tail


def test_timeout_kills_the_whole_process_group(tmp_path):
    """A child that spawns a sleeping grandchild and hangs is killed with it at the deadline."""
    script = (
        "import subprocess, sys, time\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "print(p.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    start = time.perf_counter()
    outcome = run_limited([sys.executable, "-c", script], limits=Limits(wall_seconds=2), cwd=tmp_path)
    assert outcome.timed_out and time.perf_counter() - start < 20
    grandchild = int(outcome.stdout.split()[0])
    time.sleep(0.2)
    assert not _alive(grandchild)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            return "State:\tZ" not in f.read()
    except FileNotFoundError:
        return False


def test_signal_is_named(tmp_path):
    """A child killed by SIGSEGV is reported as such, not as an exit status."""
    outcome = run_limited(
        [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"],
        limits=Limits(wall_seconds=10), cwd=tmp_path,
    )
    assert outcome.signal == "SIGSEGV" and not outcome.timed_out


def test_file_size_limit_applies(tmp_path):
    """A child writing past the file-size limit gets EFBIG (Python ignores SIGXFSZ) and no more bytes."""
    outcome = run_limited(
        [sys.executable, "-c", "open('big', 'wb').write(b'x' * (8 << 20))"],
        limits=Limits(wall_seconds=10, file_size_bytes=1 << 20), cwd=tmp_path,
    )
    assert outcome.returncode != 0 and "File too large" in outcome.stderr
    assert (tmp_path / "big").stat().st_size <= 1 << 20


def test_tail_marks_cut_text():
    """tail keeps the end of long text and says how much it cut."""
    assert tail("abc", 10) == "abc"
    cut = tail("x" * 100 + "END", 10)
    assert cut.endswith("xxxxxxxEND") and "93 characters cut" in cut
