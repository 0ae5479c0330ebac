"""A memory and process cap for a whole sandboxed tree, through cgroups where the machine delegates them.

cgroup v2: a child group of our own with memory.max and pids.max (needs those controllers
enabled for our group's children). cgroup v1: groups in the memory and pids hierarchies when they
are writable. Elsewhere `available()` is False and only rlimits apply (the caller says so).
"""

from __future__ import annotations

import os
import secrets
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from szagents.backends.sandbox.pidwait import wait_gone

__all__ = ["TreeGroup", "cgroup_mode"]

_ROOT = Path("/sys/fs/cgroup")


def _own_paths() -> dict[str, str]:
    """controller (or '' for v2) -> our group's path, from /proc/self/cgroup."""
    paths = {}
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for name in controllers.split(",") if controllers else [""]:
                paths[name] = path
    except OSError:
        pass
    return paths


def _v2_parent() -> Path | None:
    path = _own_paths().get("")
    if path is None:
        return None
    for root in (_ROOT, _ROOT / "unified"):
        group = root / path.lstrip("/")
        controls = group / "cgroup.subtree_control"
        if controls.exists() and {"memory", "pids"} <= set(controls.read_text().split()) and os.access(group, os.W_OK):
            return group
    return None


def _v1_parent(controller: str, own: dict[str, str]) -> Path | None:
    """Our group in one v1 hierarchy, when we may create groups under it."""
    if controller not in own:
        return None
    group = _ROOT / controller / own[controller].lstrip("/")
    if not (group / "cgroup.procs").exists() or not os.access(group, os.W_OK):
        return None
    return group


def _v1_parents() -> dict[str, Path] | None:
    own = _own_paths()
    found = {c: _v1_parent(c, own) for c in ("memory", "pids")}
    return None if None in found.values() else found  # type: ignore[return-value]


def cgroup_mode() -> str | None:
    """'v2', 'v1' or None: which cgroup caps a sandbox tree can get here."""
    if _v2_parent() is not None:
        return "v2"
    if _v1_parents() is not None:
        return "v1"
    return None


@dataclass
class TreeGroup:
    """One cgroup (per controller) holding a sandboxed tree: caps, membership, kill, OOM check."""

    memory_bytes: int | None
    processes: int
    dirs: list[Path] = field(default_factory=list)
    mode: str | None = None

    def create(self) -> bool:
        """Create the group(s) with their caps; False when cgroups are not delegated here."""
        name = f"szagents-{os.getpid()}-{secrets.token_hex(4)}"
        v2 = _v2_parent()
        try:
            if v2 is not None:
                self.mode, self.dirs = "v2", [v2 / name]
                self.dirs[0].mkdir()
                if self.memory_bytes:
                    (self.dirs[0] / "memory.max").write_text(str(self.memory_bytes))
                    if (self.dirs[0] / "memory.swap.max").exists():
                        (self.dirs[0] / "memory.swap.max").write_text("0")
                (self.dirs[0] / "pids.max").write_text(str(self.processes))
                return True
            v1 = _v1_parents()
            if v1 is None:
                return False
            self.mode, self.dirs = "v1", [v1["memory"] / name, v1["pids"] / name]
            for d in self.dirs:
                d.mkdir()
            self._add_cpuacct(name)
            if self.memory_bytes:
                (self.dirs[0] / "memory.limit_in_bytes").write_text(str(self.memory_bytes))
            (self.dirs[1] / "pids.max").write_text(str(self.processes))
            return True
        except OSError:
            self.remove()
            return False

    def _add_cpuacct(self, name: str) -> None:
        """v1: a group in the cpuacct hierarchy too, where we may create one (CPU accounting of the tree)."""
        parent = _v1_parent("cpuacct", _own_paths())
        if parent is None:
            return
        try:
            (parent / name).mkdir()
        except OSError:
            return
        self.dirs.append(parent / name)

    def cpu_file(self) -> Path | None:
        """The file holding the group's CPU time (v2 cpu.stat, v1 cpuacct.usage), if it has one."""
        if self.mode == "v2" and self.dirs:
            return self.dirs[0] / "cpu.stat"
        found = [d / "cpuacct.usage" for d in self.dirs if (d / "cpuacct.usage").exists()]
        return found[0] if found else None

    def threads_file(self) -> Path | None:
        """The file listing every thread in the group (v2 cgroup.threads, v1 tasks)."""
        if not self.dirs:
            return None
        return self.dirs[0] / ("cgroup.threads" if self.mode == "v2" else "tasks")

    def join(self) -> None:
        """Move the calling process into the group (pre-exec hook of the sandbox's first process)."""
        for d in self.dirs:
            with open(d / "cgroup.procs", "w") as f:
                f.write(str(os.getpid()))

    def out_of_memory(self) -> bool:
        """Did the kernel OOM-kill (or refuse memory to) something in the group?"""
        if not self.dirs:
            return False
        try:
            if self.mode == "v2":
                events = dict(line.split() for line in (self.dirs[0] / "memory.events").read_text().splitlines())
                return int(events.get("oom_kill", 0)) > 0 or int(events.get("max", 0)) > 0
            return int((self.dirs[0] / "memory.failcnt").read_text()) > 0
        except (OSError, ValueError):
            return False

    def kill(self) -> None:
        """SIGKILL every process still in the group."""
        if self.mode == "v2" and self.dirs and (self.dirs[0] / "cgroup.kill").exists():
            try:
                (self.dirs[0] / "cgroup.kill").write_text("1")
            except OSError:
                pass
        for _ in range(50):
            pids = self._pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            if wait_gone(pids, 0.01) is None:  # no pidfds here: give them the time instead
                time.sleep(0.01)

    def _pids(self) -> list[int]:
        pids: set[int] = set()
        for d in self.dirs:
            try:
                pids.update(int(p) for p in (d / "cgroup.procs").read_text().split())
            except (OSError, ValueError):
                pass
        return sorted(pids)

    def remove(self) -> None:
        """Kill what is left and remove the group(s)."""
        self.kill()
        for d in self.dirs:
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
        self.dirs = []
