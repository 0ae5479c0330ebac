"""Run untrusted work in a child process with a wall-clock timeout and resource limits."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

__all__ = ["Limits", "ProcessOutcome", "run_limited", "signal_name", "tail"]

_GIB = 1 << 30


class Limits(BaseModel):
    """Resource limits of one child process; None leaves a limit as inherited."""

    model_config = ConfigDict(frozen=True)

    wall_seconds: float = 120.0
    cpu_seconds: int | None = 600
    address_space_bytes: int | None = 16 * _GIB
    file_size_bytes: int | None = 256 << 20
    processes: int | None = None  # None: derived from the CPU count
    drop_privileges: bool = True  # when run as root: become a private uid so RLIMIT_NPROC applies

    def process_limit(self) -> int:
        """Threads + processes the child may own: room for OpenMP, none for a fork bomb."""
        return self.processes or 2 * (os.cpu_count() or 1) + 32


class ProcessOutcome(BaseModel):
    """What a child process did: exit status or signal, output, and whether it timed out."""

    model_config = ConfigDict(frozen=True)

    returncode: int | None
    stdout: str
    stderr: str
    timed_out: bool
    wall_seconds: float

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


def _apply_limits(limits: Limits) -> None:
    """Set rlimits in the child before exec (pre-exec hook)."""
    import resource

    pairs = [
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_AS, limits.address_space_bytes),
        (resource.RLIMIT_FSIZE, limits.file_size_bytes),
    ]
    for which, value in pairs:
        if value is not None:
            resource.setrlimit(which, (value, value))


def run_limited(
    command: Sequence[str],
    *,
    limits: Limits,
    cwd: Path,
    stdin: str = "",
    env: Mapping[str, str] | None = None,
) -> ProcessOutcome:
    """Run command in a new session under limits; on timeout kill its whole process group."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=True,
        preexec_fn=lambda: _apply_limits(limits),
    )
    timed_out = False
    try:
        out, err = proc.communicate(stdin, timeout=limits.wall_seconds)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc.pid)
        try:
            out, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:  # a descendant escaped the group and holds the pipes
            proc.kill()
            proc.wait()
            out, err = "", "(output lost: a descendant process kept the pipes open)"
    _kill_group(proc.pid)  # reap anything the child left behind in its group
    return ProcessOutcome(
        returncode=proc.returncode,
        stdout=out,
        stderr=err,
        timed_out=timed_out,
        wall_seconds=time.perf_counter() - start,
    )


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
