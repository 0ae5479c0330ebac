"""The sandbox runner: whole-tree kills, signals, limits, capped output, allowlisted environment."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest

from szagents.backends.sandbox import Limits, isolation_state, run_limited, sandbox_env, scrub, tail
from szagents.backends.sandbox.layout import PACKAGE_DIR, SYSTEM_DIRS, SandboxSpec
from szagents.backends.sandbox.seccomp import keyring_filter
from szagents.backends.sandbox.scrub import secret_values

MODES = ["rlimits-only"] + (["bwrap"] if isolation_state().bwrap_works else [])


def _alive(marker: str) -> bool:
    """Is a live (not zombie) process with marker in its command line left on the host?"""
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if marker in (entry / "cmdline").read_text(errors="replace") and "State:\tZ" not in (entry / "status").read_text():
                return True
        except OSError:
            pass
    return False


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_timeout_kills_the_whole_tree(tmp_path, mode):
    """A child that starts a sleeping grandchild and hangs is killed with it at the deadline. The grandchild's name
    is this test's own: the other mode's case may be running beside it on another worker, with its grandchild alive."""
    marker = f"szgrandchild-{secrets.token_hex(4)}"
    start = time.perf_counter()
    outcome = run_limited(["/bin/bash", "-c", f"(exec -a {marker} sleep 60) & sleep 60"], limits=Limits(wall_seconds=2),
                          cwd=tmp_path, isolation=mode)
    assert outcome.timed_out and time.perf_counter() - start < 20 and outcome.isolation == mode
    gone = time.monotonic() + 5  # a killed process is gone once the kernel has torn it down: moments, more when busy
    while _alive(marker) and time.monotonic() < gone:
        time.sleep(0.05)
    assert not _alive(marker)


@pytest.mark.parametrize("mode", MODES)
def test_signal_is_named(tmp_path, mode):
    """A child killed by SIGSEGV is reported as such, not as an exit status."""
    outcome = run_limited(["/bin/bash", "-c", "kill -SEGV $$"], limits=Limits(wall_seconds=10), cwd=tmp_path, isolation=mode)
    assert outcome.signal == "SIGSEGV" and not outcome.timed_out


@pytest.mark.parametrize("mode", MODES)
def test_file_size_limit_applies(tmp_path, mode):
    """A child writing past the file-size limit is stopped at the limit."""
    outcome = run_limited(["/bin/bash", "-c", "head -c 8000000 /dev/zero > /tmp/big; stat -c %s /tmp/big"],
                          limits=Limits(wall_seconds=10, file_size_bytes=1 << 20), cwd=tmp_path, isolation=mode)
    assert outcome.stdout.strip() == str(1 << 20)


def test_output_is_capped_and_counted(tmp_path):
    """stdout beyond the cap is dropped, counted and said."""
    outcome = run_limited(["/bin/bash", "-c", "head -c 3000000 /dev/zero | tr '\\0' a"],
                          limits=Limits(wall_seconds=10, output_bytes=1 << 20), cwd=tmp_path)
    assert outcome.dropped_bytes == 3000000 - (1 << 20) and "more bytes of output dropped" in outcome.stdout


def test_environment_is_an_allowlist():
    """Only toolchain variables pass; secret-named ones never do, not even as extras."""
    env = sandbox_env({"OMP_NUM_THREADS": "2", "MY_TOKEN": "x"},
                      source={"PATH": "/bin", "OPENAI_API_KEY": "k", "OMP_PROC_BIND": "1", "AWS_PROFILE": "p", "CUDA_VISIBLE_DEVICES": "0"})
    assert env == {"PATH": "/bin", "OMP_PROC_BIND": "1", "CUDA_VISIBLE_DEVICES": "0", "OMP_NUM_THREADS": "2"}


def test_scrub_replaces_secret_values_only():
    """Values of secret-looking variables become [redacted]; short values and other text stay."""
    source = {"OPENAI_API_KEY": "sk-abcdef123456", "DB_PASSWORD": "hunter2hunter2", "GITHUB_TOKEN": "1", "USER": "sk-abcdef"}
    assert secret_values(source) == ["sk-abcdef123456", "hunter2hunter2"]
    assert scrub("key sk-abcdef123456 pw hunter2hunter2 user sk-abcdef 1", source) == \
        "key [redacted] pw [redacted] user sk-abcdef 1"


def test_tail_marks_cut_text():
    """tail keeps the end of long text and says how much it cut."""
    assert tail("abc", 10) == "abc"
    cut = tail("x" * 100 + "END", 10)
    assert cut.endswith("xxxxxxxEND") and "93 characters cut" in cut


def test_the_users_project_folders_are_never_bound(tmp_path):
    """`python ~/project/scripts/study.py` puts scripts/ on sys.path, and the script adds ~/project (a common
    idiom); a kernel must not see the .env in either."""
    (tmp_path / ".env").write_text("OPENAI_API_KEY=sk-test-not-for-kernels\n")
    (tmp_path / "scripts").mkdir()
    script = tmp_path / "scripts" / "study.py"
    script.write_text("import sys\n"
                      f"sys.path.insert(0, {str(tmp_path)!r})\n"
                      "from szagents.backends.sandbox.layout import python_paths\n"
                      "print('\\n'.join(str(p) for p in python_paths()))\n")
    inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]  # dependencies may come this way
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PACKAGE_DIR.parent), *inherited])}
    shown = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, check=True).stdout
    bound = [Path(line) for line in shown.split()]
    assert bound and all(p != tmp_path.resolve() and tmp_path.resolve() not in p.parents for p in bound), bound
    prefix = Path(sys.prefix).resolve()  # the interpreter's own folders still are (bound, or inside a system folder
    assert prefix in bound or any(d in map(str, [prefix, *prefix.parents]) for d in SYSTEM_DIRS)  # bound whole)


_KEYS_PROBE = r"""
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
    long id = syscall(SYS_add_key, "user", "szagents-probe", "secret", 6, -4 /* the user keyring */);
    printf("add_key %ld %s\n", id, id < 0 ? strerror(errno) : "added");
    long r = syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -4, 0);
    printf("keyctl %ld %s\n", r, r < 0 ? strerror(errno) : "ok");
    printf("getpid %ld\n", (long)getpid());
    return 0;
}
"""


@pytest.mark.skipif("bwrap" not in MODES, reason="bubblewrap cannot run here")
def test_kernel_keyrings_are_out_of_reach_in_the_sandbox(tmp_path):
    """Keyrings are per uid, and private uids are reused: add_key and keyctl fail with EPERM; other calls work."""
    source, binary = tmp_path / "keys.c", tmp_path / "keys"
    source.write_text(_KEYS_PROBE)
    subprocess.run(["gcc", "-O1", "-o", str(binary), str(source)], check=True)
    binary.chmod(0o755)
    tmp_path.chmod(0o755)
    outcome = run_limited([str(binary)], limits=Limits(wall_seconds=20), cwd=tmp_path, isolation="bwrap",
                          spec=SandboxSpec(ro=(binary,)))
    lines = dict(line.split(" ", 1) for line in outcome.stdout.splitlines())
    assert lines["add_key"] == "-1 Operation not permitted" and lines["keyctl"] == "-1 Operation not permitted"
    assert int(lines["getpid"]) > 0


def test_the_keyring_filter_exists_only_for_known_abis():
    assert keyring_filter("x86_64") and len(keyring_filter("x86_64")) == 10 * 8
    assert keyring_filter("riscv64") is None
