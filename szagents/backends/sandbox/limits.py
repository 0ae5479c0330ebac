"""Resource limits of a sandboxed child and what it did."""

from __future__ import annotations

import os
import signal

from pydantic import BaseModel, ConfigDict

__all__ = ["Limits", "ProcessOutcome", "signal_name", "tail"]

_GIB = 1 << 30


class Limits(BaseModel):
    """Limits of one sandboxed process tree; None leaves a limit as inherited."""

    model_config = ConfigDict(frozen=True)

    wall_seconds: float = 120.0
    cpu_seconds: int | None = 600
    address_space_bytes: int | None = 16 * _GIB  # per process (RLIMIT_AS)
    file_size_bytes: int | None = 256 << 20  # per file (RLIMIT_FSIZE)
    processes: int | None = None  # processes + threads of the tree; None: derived from the CPU count
    memory_bytes: int | None = 24 * _GIB  # whole tree (cgroup), where the machine delegates one
    scratch_bytes: int = 1 * _GIB  # size of the private /tmp (tmpfs): the tree's disk budget
    output_bytes: int = 1 << 20  # stdout and stderr are each read up to this; the rest is counted and dropped
    drop_privileges: bool = True  # accepted for older configs: under bwrap work always runs as a private uid, under rlimits-only as you

    def process_limit(self) -> int:
        """Threads + processes the tree may own: room for OpenMP, none for a fork bomb."""
        return self.processes or 2 * (os.cpu_count() or 1) + 32


class ProcessOutcome(BaseModel):
    """What a child did: exit status or signal, (capped, scrubbed) output, timeout, isolation."""

    model_config = ConfigDict(frozen=True)

    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool
    wall_seconds: float
    isolation: str = "rlimits-only"
    dropped_bytes: int = 0  # output past Limits.output_bytes, counted and discarded
    out_of_memory: bool = False  # the tree hit its memory cap (cgroup)

    @property
    def signal(self) -> str | None:
        """Name of the signal that killed the child, if one did."""
        if self.returncode is not None and self.returncode < 0:
            return signal_name(-self.returncode)
        return None


def signal_name(number: int) -> str:
    """SIGSEGV for 11, and so on."""
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def tail(text: str, limit: int = 4000) -> str:
    """The last `limit` characters of text, marked when cut."""
    if len(text) <= limit:
        return text
    return f"[... {len(text) - limit} characters cut ...]\n" + text[-limit:]
