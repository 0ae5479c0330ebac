"""What the sandbox's first process does before it becomes bwrap: join the tree's cgroups, move the inherited
descriptors to the numbers the command reads them on, take the rlimits.

Done in a Popen preexec_fn, this made Python fork the whole parent (CPython spawns with vfork only without one): the
kernel copied the parent's page tables and then every page either side wrote while the child lived. A harness parent
holds 0.2-1 GB (a test worker more), so each sandboxed child cost 19-40 ms of system time, split between parent and
child (run_limited of /bin/true, 50 times), a hundred times the child's own start. With bash and util-linux's
prlimit doing the same steps after a vfork spawn, the parent's page tables are never copied.

Used for bwrap only: bwrap's --clearenv drops what bash adds to the environment (PWD, SHLVL), which an
rlimits-only command would see. Without bash or prlimit, the caller keeps the preexec_fn.
"""

from __future__ import annotations

import fcntl
import functools
import os
import resource
import shlex
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from szagents.backends.sandbox.limits import Limits

__all__ = ["rlimit_pairs", "apply_rlimits", "Prelude", "prelude_tools"]

_PRLIMIT_NAMES = {resource.RLIMIT_CORE: "core", resource.RLIMIT_CPU: "cpu", resource.RLIMIT_AS: "as",
                  resource.RLIMIT_FSIZE: "fsize", resource.RLIMIT_NPROC: "nproc"}
_LOWEST_SOURCE = 10  # above every target (3-6, 9): bash moves no descriptor onto one not yet moved


def rlimit_pairs(limits: Limits, nproc: bool) -> list[tuple[int, int]]:
    """(resource, soft = hard value) the sandbox's first process takes; nproc: also RLIMIT_NPROC (it counts every
    process and thread of the uid: only meaningful for a private uid)."""
    pairs = [(resource.RLIMIT_CORE, 0), (resource.RLIMIT_CPU, limits.cpu_seconds),
             (resource.RLIMIT_AS, limits.address_space_bytes), (resource.RLIMIT_FSIZE, limits.file_size_bytes)]
    if nproc:
        pairs.append((resource.RLIMIT_NPROC, limits.process_limit()))
    return [(which, value) for which, value in pairs if value is not None]


def apply_rlimits(limits: Limits, nproc: bool) -> None:
    """Take the rlimits in this process (a preexec_fn)."""
    for which, value in rlimit_pairs(limits, nproc):
        resource.setrlimit(which, (value, value))


@functools.cache
def prelude_tools() -> tuple[str, str] | None:
    """(bash, prlimit) where both are installed, else None."""
    bash, prlimit = shutil.which("bash"), shutil.which("prlimit")
    return (bash, prlimit) if bash and prlimit else None


class Prelude:
    """The argv that does the pre-exec steps and then execs command, and the descriptors Popen must pass for it.

    Use as a context manager around Popen: the copies of the mapped descriptors it makes close on exit."""

    def __init__(self, tools: tuple[str, str], command: Sequence[str], fd_map: Mapping[int, int],
                 groups: Sequence[Path], limits: Limits, nproc: bool) -> None:
        # Every source at or above _LOWEST_SOURCE: a source can't sit on another mapping's target.
        self.sources = {target: fcntl.fcntl(source, fcntl.F_DUPFD_CLOEXEC, _LOWEST_SOURCE)
                        for target, source in fd_map.items()}
        bash, prlimit = tools
        steps = ["set -e", *(f"echo $$ > {shlex.quote(str(group / 'cgroup.procs'))}" for group in groups)]
        if self.sources:
            moves = " ".join(f"{target}<&{source} {source}<&-" for target, source in self.sources.items())
            steps.append(f"exec {moves}")
        steps.append('exec "$@"')
        rlimits = [f"--{_PRLIMIT_NAMES[which]}={value}" for which, value in rlimit_pairs(limits, nproc)]
        self.argv = [bash, "-c", "\n".join(steps), "sandbox", prlimit, *rlimits, "--", *command]

    def pass_fds(self) -> tuple[int, ...]:
        return tuple(self.sources.values())

    def __enter__(self) -> Prelude:
        return self

    def __exit__(self, *exc: object) -> None:
        for fd in self.sources.values():
            os.close(fd)
