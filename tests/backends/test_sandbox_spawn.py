"""The sandbox's first process (spawn.py): the same rlimits and descriptors whether Python's preexec_fn or bash and
prlimit take them, and a bwrap tree is spawned without a preexec_fn (so without forking the parent). The prelude's
cgroup join is checked where a cgroup is delegated, by tests/backends/test_tree_cpu.py (a tree read through its
cgroup) and the red-team's cgroup cases, not here."""

from __future__ import annotations

import os
import subprocess

import pytest

from szagents.backends.sandbox import Limits, isolation_state, run_limited
from szagents.backends.sandbox import run as sandbox_run
from szagents.backends.sandbox.spawn import prelude_tools

BWRAP = isolation_state().bwrap_works
POPEN = subprocess.Popen
LIMITS = Limits(wall_seconds=20, cpu_seconds=77, address_space_bytes=3 << 30, file_size_bytes=5 << 20, processes=41)
SHOW = "grep -E '^Max (cpu time|file size|core file size|address space|processes) ' /proc/self/limits; ls /proc/self/fd; cat <&3"


def _seen(tmp_path, monkeypatch, prelude: bool) -> tuple[str, dict]:
    """What a sandboxed bash sees (its limits, open descriptors, what fd 3 holds), and the kwargs Popen got."""
    if not prelude:
        monkeypatch.setattr(sandbox_run, "prelude_tools", lambda: None)
    got: dict = {}

    def spy(*args, **kwargs):
        got.update(kwargs)
        return POPEN(*args, **kwargs)

    monkeypatch.setattr(sandbox_run.subprocess, "Popen", spy)
    read, write = os.pipe()
    os.write(write, b"through fd 3\n")
    os.close(write)
    try:
        outcome = run_limited(["/bin/bash", "-c", SHOW], limits=LIMITS, cwd=tmp_path, isolation="bwrap",
                              fd_map={3: read})
    finally:
        os.close(read)
    assert outcome.returncode == 0, outcome.stderr
    return outcome.stdout, got


@pytest.mark.skipif(not BWRAP or prelude_tools() is None, reason="needs bwrap, bash and prlimit")
def test_bash_and_prlimit_set_up_the_tree_as_the_preexec_fn_did(tmp_path, monkeypatch):
    prelude, spawned = _seen(tmp_path, monkeypatch, prelude=True)
    preexec, _ = _seen(tmp_path, monkeypatch, prelude=False)
    assert spawned.get("preexec_fn") is None  # CPython spawns with vfork then
    assert prelude == preexec
    for line in ("Max cpu time              77", "Max file size             5242880", "Max core file size        0",
                 "Max processes             41", "Max address space         3221225472", "through fd 3"):
        assert line in prelude
    fds = prelude.split("Max address space")[-1].split()
    assert {"0", "1", "2", "3"} <= set(fds)
