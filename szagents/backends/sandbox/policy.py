"""Which isolation untrusted work gets here: bubblewrap namespaces, or (opted in) rlimits only."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from enum import Enum

from pydantic import BaseModel, ConfigDict

from szagents.errors import ToolchainError

__all__ = ["Isolation", "IsolationState", "IsolationUnavailable", "isolation_state", "chosen_isolation",
           "ISOLATION_ENV", "find_bwrap"]

ISOLATION_ENV = "SZAGENTS_ISOLATION"


class Isolation(str, Enum):
    """bwrap: own uid, pid, net, ipc and mount namespaces; rlimits_only: limits, no isolation."""

    bwrap = "bwrap"
    rlimits_only = "rlimits-only"


class IsolationUnavailable(ToolchainError):
    """The sandbox can't be built here and the weaker mode was not chosen explicitly."""


class IsolationState(BaseModel):
    """What the machine allows: whether bwrap works, as whom, and the cgroup caps available."""

    model_config = ConfigDict(frozen=True)

    bwrap_path: str | None
    bwrap_works: bool
    as_root: bool
    cgroups: str | None
    reason: str = ""
    fix: str = ""


def find_bwrap() -> str | None:
    """$SZAGENTS_BWRAP, else bwrap on PATH."""
    return os.environ.get("SZAGENTS_BWRAP") or shutil.which("bwrap")


@functools.lru_cache(maxsize=1)
def isolation_state() -> IsolationState:
    """Probe once per process: can bwrap build a sandbox here?"""
    from szagents.backends.sandbox.cgroup import cgroup_mode

    root = os.geteuid() == 0
    path = find_bwrap()
    if path is None or not os.access(path, os.X_OK):
        return IsolationState(bwrap_path=None, bwrap_works=False, as_root=root, cgroups=cgroup_mode(),
                              reason=f"bubblewrap (bwrap) is not installed{f' (no executable {path})' if path else ''}",
                              fix="apt-get install bubblewrap (or set SZAGENTS_BWRAP to a bwrap binary)")
    userns = [] if root else ["--unshare-user"]
    probe = [path, *userns, "--unshare-pid", "--unshare-net", "--ro-bind", "/", "/", "--proc", "/proc",
             "--dev", "/dev", "--", "/bin/true"]
    try:
        done = subprocess.run(probe, capture_output=True, text=True, check=False, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        done = subprocess.CompletedProcess(probe, 1, "", str(exc))
    if done.returncode != 0:
        return IsolationState(bwrap_path=path, bwrap_works=False, as_root=root, cgroups=cgroup_mode(),
                              reason=f"bwrap cannot create namespaces here: {done.stderr.strip()[:200]}",
                              fix="allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, "
                                  "or run the container with --security-opt seccomp=unconfined), or run as root")
    return IsolationState(bwrap_path=path, bwrap_works=True, as_root=root, cgroups=cgroup_mode())


def chosen_isolation(requested: Isolation | str | None = None) -> Isolation:
    """The isolation to use: bwrap unless rlimits-only was chosen (argument or $SZAGENTS_ISOLATION).

    Raises IsolationUnavailable when bwrap is wanted but can't work here.
    """
    value = requested or os.environ.get(ISOLATION_ENV) or Isolation.bwrap
    try:
        mode = Isolation(value)
    except ValueError:
        raise IsolationUnavailable(
            f"unknown isolation {value!r}; choose 'bwrap' or 'rlimits-only' ({ISOLATION_ENV})") from None
    if mode is Isolation.bwrap and not isolation_state().bwrap_works:
        state = isolation_state()
        raise IsolationUnavailable(
            f"untrusted code needs a sandbox and {state.reason}; fix: {state.fix}; or accept the weaker "
            f"rlimits-only mode explicitly with {ISOLATION_ENV}=rlimits-only (recorded in every result)")
    return mode
