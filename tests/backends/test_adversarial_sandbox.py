"""Hostile kernels against the sandbox: each gets its verdict and leaves none of the evidence it wants.

Every kernel is honest except for one hostile act on its first call (see adversarial_sandbox/).
These run for real: gcc, bubblewrap, namespaces, cgroups where this machine delegates them.
"""

from __future__ import annotations

import os
import sys
import resource
import socket
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from szagents.backends.cpu import CpuBackend, CpuConfig
from szagents.backends.protocol import BenchSettings, KernelSpec, Problem
from szagents.backends.results import Verdict
from szagents.backends.sandbox import Limits, isolation_state
from szagents.backends.sandbox.uids import UID_BASE

HERE = Path(__file__).parent / "adversarial_sandbox"
SECRET = "sk-proj-szagents-test-secret-4242"

pytestmark = pytest.mark.skipif(not isolation_state().bwrap_works, reason="bubblewrap cannot build a sandbox here")


def _backend(**limits) -> CpuBackend:
    return CpuBackend(CpuConfig(run_limits=Limits(wall_seconds=20, **limits), isolation="bwrap"))


@pytest.fixture
def problem() -> Problem:
    return Problem("random", np.random.default_rng(7).normal(size=20_001).astype(np.float32), 1e-3)


def _validate(source: str, tmp_path: Path, problem: Problem, backend: CpuBackend | None = None, **defines: str):
    backend = backend or _backend()
    spec = KernelSpec(codec="raw", defines=defines)
    build = backend.compile([HERE / source, HERE / "hostile.h"], spec, tmp_path)
    return build, (backend.validate(build, spec, [problem], tmp_path) if build.ok else None)


def _host_processes(name: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == name:
                pids.append(int(entry.name))
        except OSError:
            pass
    return pids


def test_no_secret_reaches_the_kernel_environment(tmp_path, problem, monkeypatch):
    """API keys and tokens of the parent are not in the kernel's environment, nor in what comes back."""
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("SZ_TEST_TOKEN", SECRET + "-token")
    build, result = _validate("secret_env.c", tmp_path, problem)
    assert result.ok, result.detail
    assert "ENV OPENAI_API_KEY=(unset)" in result.stderr_tail and "ENV SZ_TEST_TOKEN=(unset)" in result.stderr_tail
    assert "ENV HOME=/tmp" in result.stderr_tail and SECRET not in result.model_dump_json()


def test_secrets_on_disk_and_in_other_processes_stay_out_of_reach(tmp_path, problem, monkeypatch):
    """/proc shows only the sandbox's processes, /root is absent, root-only files are unreadable."""
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    secret_file = tmp_path / "credentials"
    secret_file.write_text(f"token={SECRET}\n")
    secret_file.chmod(0o600)
    build, result = _validate("secret_files.c", tmp_path, problem, SECRET_FILE=f'"{secret_file}"')
    assert result.ok, result.detail
    assert f"NOREAD {secret_file}" in result.stderr_tail and "NOREAD /etc/shadow" in result.stderr_tail
    assert "NOREAD /root/.bashrc" in result.stderr_tail and SECRET not in result.stderr_tail


def test_scrubber_redacts_a_secret_that_comes_back(tmp_path, monkeypatch):
    """A secret value that a child prints anyway (here: given to it on purpose) comes back as [redacted]."""
    from szagents.backends.sandbox import SandboxSpec, run_limited

    monkeypatch.setenv("MY_SERVICE_PASSWORD", SECRET)
    (tmp_path / "leak.txt").write_text(SECRET)
    (tmp_path / "leak.txt").chmod(0o644)
    tmp_path.chmod(0o755)
    outcome = run_limited(["/bin/sh", "-c", f"cat {tmp_path}/leak.txt; cat {tmp_path}/leak.txt >&2"],
                          limits=Limits(wall_seconds=10), cwd=tmp_path, spec=SandboxSpec(ro=(tmp_path,)))
    assert outcome.stdout == "[redacted]" and outcome.stderr == "[redacted]"


@pytest.mark.slow
def test_kernel_has_no_network(tmp_path, problem):
    """A connection to a listener on the host's loopback fails; the listener hears nothing."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(1.0)
    build, result = _validate("network.c", tmp_path, problem, LISTEN_PORT=str(listener.getsockname()[1]))
    assert result.ok, result.detail
    assert "NET connect" in result.stderr_tail and "NET connected" not in result.stderr_tail
    with pytest.raises(socket.timeout):
        listener.accept()
    listener.close()


@pytest.mark.parametrize("source", ["include_root_only.c", "incbin_root_only.c"])
def test_compiles_cannot_read_root_only_files(tmp_path, problem, source):
    """#include and .incbin of /etc/shadow fail to compile, and no line of it reaches the log."""
    build, _ = _validate(source, tmp_path, problem)
    assert not build.ok and build.verdict is Verdict.compile_error
    assert "/etc/shadow" in build.log and any(w in build.log for w in ("Permission denied", "No such file", "not found"))
    first = Path("/etc/shadow").read_text().splitlines()[0] if os.access("/etc/shadow", os.R_OK) else "root:"
    assert first not in build.log and build.library is None


def test_compiles_see_only_the_workspace(tmp_path, problem):
    """`#include "../szx/reference.c"` does not resolve through the ABI include path any more."""
    build, _ = _validate("include_outside.c", tmp_path, problem)
    assert not build.ok and "../szx/reference.c" in build.log and "No such file" in build.log


def test_changed_header_is_never_a_cached_build(tmp_path, monkeypatch):
    """The cache key covers the headers the compile reads: editing one rebuilds."""
    monkeypatch.setenv("SZAGENTS_CACHE", str(tmp_path / "cache"))
    backend = _backend()
    (tmp_path / "k.h").write_text("#define VALUE 1\n")
    (tmp_path / "k.c").write_text('#include "k.h"\nint value(void) { return VALUE; }\n')
    first = backend.compile([tmp_path / "k.c", tmp_path / "k.h"], KernelSpec(codec="raw"), tmp_path)
    (tmp_path / "k.h").write_text("#define VALUE 2 +\n")
    second = backend.compile([tmp_path / "k.c", tmp_path / "k.h"], KernelSpec(codec="raw"), tmp_path)
    assert first.ok and not first.cached and not second.cached and not second.ok and "expected expression" in second.log


def test_kernel_cannot_write_outside(tmp_path, problem):
    """Files aimed at the task folder, /root, /etc and the host's /tmp are not created."""
    target = tmp_path / "planted"
    build, result = _validate("write_outside.c", tmp_path, problem, OUTSIDE_FILE=f'"{target}"')
    assert result.ok, result.detail
    assert not target.exists() and not Path("/root/planted").exists() and not Path("/etc/planted").exists()
    assert not Path("/tmp/planted-by-kernel").exists()


@pytest.mark.slow
def test_daemon_dies_with_the_call(tmp_path, problem):
    """A double-fork + setsid daemon does not outlive the run and never writes its late file."""
    target = tmp_path / "late"
    build, result = _validate("daemon.c", tmp_path, problem, OUTSIDE_FILE=f'"{target}"')
    assert result.ok, result.detail
    assert _host_processes("szdaemon") == []
    time.sleep(3.5)
    assert not target.exists() and _host_processes("szdaemon") == []


def test_pipe_holder_neither_hangs_the_parent_nor_the_next_kernel(tmp_path, problem):
    """A daemon holding the pipes for 60 s: the call returns at once and an honest kernel follows fine."""
    start = time.perf_counter()
    _, held = _validate("pipe_holder.c", tmp_path, problem)
    _, honest = _validate("secret_env.c", tmp_path, problem)
    assert held.ok and honest.ok and time.perf_counter() - start < 20
    assert _host_processes("szpipeholder") == []


def test_each_sandbox_gets_its_own_allocated_uid(tmp_path, problem):
    """Concurrent runs get distinct private uids from the allocator (not 1000000 + pid), and killing
    every process it can reach (kill -1) harms no other run."""
    if os.geteuid() != 0:
        pytest.skip("private uids are allocated when run as root; a user's sandbox maps its own uid")
    results = [None] * 3

    def run(i: int) -> None:
        results[i] = _validate("uid_probe.c", tmp_path / str(i), problem)[1]

    for i in range(3):
        (tmp_path / str(i)).mkdir()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    uids = [int(r.stderr_tail.split("UID ")[1].split()[0]) for r in results]
    assert all(r.ok for r in results), [r.detail for r in results]
    assert len(set(uids)) == 3 and all(u >= UID_BASE for u in uids)


@pytest.mark.slow
def test_output_flood_is_capped(tmp_path, problem):
    """A gigabyte printed to stdout and stderr: the parent keeps at most the cap and says what it dropped."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    build, result = _validate("output_flood.c", tmp_path, problem)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert result.ok, result.detail
    assert "bytes of output dropped" in result.stderr_tail and grown_mib < 200


def test_disk_fill_stays_in_the_private_scratch(tmp_path, problem):
    """40 files of 256 MiB fill only the sandbox's sized /tmp; the host's disk does not change."""
    free_before = os.statvfs("/tmp").f_bavail * os.statvfs("/tmp").f_frsize
    build, result = _validate("disk_fill.c", tmp_path, problem, _backend(scratch_bytes=64 << 20))
    free_after = os.statvfs("/tmp").f_bavail * os.statvfs("/tmp").f_frsize
    assert result.ok, result.detail
    assert abs(free_before - free_after) < 256 << 20


@pytest.mark.slow
def test_forked_memory_is_capped_for_the_whole_tree(tmp_path, problem):
    """Four processes touching 1.5 GiB each, under a 1 GiB cap for the tree: none of them gets its memory
    (the kernel's own count), or the whole run is a classified crash at the cap."""
    if isolation_state().cgroups is None:
        pytest.skip("this machine delegates no cgroup: only per-process address-space caps apply")
    backend = _backend(memory_bytes=1 << 30, address_space_bytes=3 << 30)
    build, result = _validate("fork_memory.c", tmp_path, problem, backend)
    assert (result.verdict is Verdict.crash and "memory cap" in result.detail) or "TOUCHED 0" in result.stderr_tail


def test_undefined_symbol_is_an_abi_error(tmp_path, problem):
    """A library that links but cannot load is abi_error with the loader's message, not an exception."""
    build, result = _validate("undefined_symbol.c", tmp_path, problem)
    assert build.ok and result.verdict is Verdict.abi_error
    assert "helper_that_does_not_exist" in result.detail


def test_forged_channel_lines_never_pass(tmp_path, problem):
    """Result lines written to every open descriptor are a broken protocol (crash), never ok."""
    build, result = _validate("forges_channel.c", tmp_path, problem)
    assert result.verdict is Verdict.crash and "protocol" in result.detail


def test_killed_parent_leaves_no_child(tmp_path):
    """SIGKILL of the process that started a sandbox takes the sandbox's whole tree with it."""
    script = (
        "import sys, time\nfrom pathlib import Path\n"
        "from szagents.backends.sandbox import Limits, SandboxProcess\n"
        "p = SandboxProcess(['/bin/bash', '-c', 'exec -a szorphan sleep 60'], limits=Limits(wall_seconds=60)).start()\n"
        "print('started', flush=True); time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join(
                                  [str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH", "")])})
    assert parent.stdout.readline().strip() == "started"
    time.sleep(0.5)
    parent.kill()
    parent.wait()
    deadline = time.time() + 5
    while time.time() < deadline and _host_processes("sleep"):
        time.sleep(0.1)
    assert not any("szorphan" in Path(f"/proc/{p}/cmdline").read_text(errors="replace") for p in _host_processes("sleep")
                   if Path(f"/proc/{p}/cmdline").exists())


@pytest.mark.slow
def test_benchmark_inside_the_sandbox_matches_outside(tmp_path):
    """An honest kernel validates and benchmarks in both modes; the isolation is recorded."""
    from szagents.paths import kernels_dir

    data = np.random.default_rng(2).normal(size=400_000).astype(np.float32).cumsum().astype(np.float32)
    problem = Problem("walk", data, 1e-3 * float(data.max() - data.min()))
    spec = KernelSpec(codec="szx")
    for mode in ("bwrap", "rlimits-only"):
        backend = CpuBackend(CpuConfig(isolation=mode))
        build = backend.compile([kernels_dir() / "szx" / "reference.c"], spec, tmp_path)
        checked, measured = backend.validate_and_benchmark(build, spec, [problem], [problem], tmp_path,
                                                           BenchSettings(min_seconds=0.05))
        assert checked.ok and measured.ok and checked.isolation == mode and measured.isolation == mode
