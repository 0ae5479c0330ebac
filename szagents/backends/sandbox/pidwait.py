"""Wait for processes to end on their pidfds (Linux 5.3+) instead of polling with sleeps.

subprocess.Popen.wait(timeout) polls with sleeps that grow to 50 ms, so a sandboxed child that has
already exited costs its parent tens of milliseconds; a pidfd becomes readable the moment the process
ends, so waiting on it costs nothing more than the child itself.
"""

from __future__ import annotations

import os
import select
import subprocess
import time
from collections.abc import Iterable

__all__ = ["wait_gone", "wait_process"]


def wait_gone(pids: Iterable[int], timeout: float) -> bool | None:
    """True once every pid has ended (or never existed), False at the timeout; None where pidfds are missing."""
    if not hasattr(os, "pidfd_open"):
        return None
    fds: list[int] = []
    try:
        for pid in pids:
            try:
                fds.append(os.pidfd_open(pid))
            except ProcessLookupError:
                continue  # already gone
            except OSError:
                return None  # a kernel without pidfd_open
        deadline, pending = time.monotonic() + timeout, set(fds)
        while pending:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            ready, _, _ = select.select(list(pending), [], [], left)
            pending.difference_update(ready)
        return True
    finally:
        for fd in fds:
            os.close(fd)


def wait_process(proc: subprocess.Popen, timeout: float) -> int:
    """proc's return code, waiting at most timeout seconds (subprocess.TimeoutExpired after that)."""
    if proc.poll() is None and wait_gone([proc.pid], max(timeout, 0.0)) is False:
        raise subprocess.TimeoutExpired(proc.args, timeout)
    return proc.wait(timeout=max(timeout, 0.0))
