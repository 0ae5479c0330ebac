"""The CPU time of a sandboxed process tree, and whether any of its threads is running, read from outside.

Where the tree has a cgroup (sandbox/cgroup.py) its CPU accounting is exact and complete: v2
`cpu.stat` usage_usec, v1 `cpuacct.usage` (ns), every thread and process that ever ran in the
group, exited ones included. Elsewhere the tree is walked from its first process
(/proc/<pid>/task/<tid>/children) and each live process's CPU clock is read (clock_gettime on the
process clock: nanoseconds, threads that exited included), plus the `cutime + cstime` of the
processes it reaped. What that fallback misses: a process that exits and is reaped between two
readings counts only at clock-tick resolution (1/CLK_TCK, 10 ms); one forked and reaped faster than
a tick may count as nothing; a process started between the walk and the reading is counted at the
next reading.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from szagents.backends.sandbox.cgroup import TreeGroup

__all__ = ["TreeCpu"]

_TICK_SECONDS = 1.0 / os.sysconf("SC_CLK_TCK")
_BUSY_STATES = frozenset("RD")  # running or runnable; uninterruptible (a page fault, I/O)


def _process_clock(pid: int) -> int:
    """clock_getcpuclockid(pid): the whole process's CPU clock (the kernel's MAKE_PROCESS_CPUCLOCK(pid, SCHED))."""
    return ((~pid) << 3) | 2


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except (OSError, ValueError):
        return None


def _state(tid: int) -> str:
    """A thread's scheduler state letter (R, S, D, ...); '' when it is gone."""
    stat = _read(Path(f"/proc/{tid}/stat"))
    fields = stat.rsplit(")", 1)[-1].split() if stat else []  # the name in parentheses may hold anything
    return fields[0] if fields else ""


class TreeCpu:
    """CPU seconds used so far by every process of one sandboxed tree (its cgroup, or its process tree)."""

    def __init__(self, root_pid: int, group: TreeGroup | None = None) -> None:
        self.root_pid = root_pid
        self._cpu_file = group.cpu_file() if group is not None else None
        self._threads_file = group.threads_file() if group is not None else None
        self.source = {"v2": "cgroup v2 cpu.stat", "v1": "cgroup v1 cpuacct.usage"}.get(
            group.mode if group is not None and self._cpu_file is not None else "", "process clocks")

    def seconds(self) -> float | None:
        """CPU seconds of the whole tree since it started; None when it cannot be read (the tree is gone)."""
        if self._cpu_file is not None:
            return self._cgroup_seconds(self._cpu_file)
        total, found = 0.0, False
        for pid in self._processes():
            try:
                total += time.clock_gettime_ns(_process_clock(pid)) / 1e9
            except OSError:  # exited since the walk: its time is in its reaper's cutime at the next reading
                continue
            found = True
            stat = _read(Path(f"/proc/{pid}/stat"))
            if stat is not None:
                fields = stat.rsplit(")", 1)[-1].split()
                total += (int(fields[13]) + int(fields[14])) * _TICK_SECONDS  # cutime, cstime: reaped children
        return total if found else None

    @staticmethod
    def _cgroup_seconds(path: Path) -> float | None:
        text = _read(path)
        if text is None:
            return None
        if path.name == "cpu.stat":
            usage = dict(line.split() for line in text.splitlines() if line.strip()).get("usage_usec")
            return int(usage) / 1e6 if usage is not None else None
        return int(text) / 1e9

    def busy_threads(self) -> int:
        """How many of the tree's threads are running, runnable or in an uninterruptible wait right now."""
        return sum(1 for tid in self._threads() if _state(tid) in _BUSY_STATES)

    def _threads(self) -> list[int]:
        if self._threads_file is not None:
            text = _read(self._threads_file)
            return [int(t) for t in text.split()] if text else []
        tids = []
        for pid in self._processes():
            try:
                tids.extend(int(t) for t in os.listdir(f"/proc/{pid}/task"))
            except OSError:
                continue
        return tids

    def _processes(self) -> list[int]:
        """The root and its descendants, from the kernel's children lists (every thread's)."""
        found, queue = [], [self.root_pid]
        while queue:
            pid = queue.pop()
            found.append(pid)
            try:
                tasks = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            for tid in tasks:
                children = _read(Path(f"/proc/{pid}/task/{tid}/children"))
                queue.extend(int(c) for c in (children or "").split())
        return found
