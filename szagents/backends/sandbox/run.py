"""Start a command in the sandbox, read its output up to a cap, and kill its whole tree at the end."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path

from szagents.backends.sandbox.cgroup import TreeGroup
from szagents.backends.sandbox.layout import SandboxSpec, bwrap_args
from szagents.backends.sandbox.pidwait import wait_process
from szagents.backends.sandbox.seccomp import filter_fd
from szagents.backends.sandbox.limits import Limits, ProcessOutcome
from szagents.backends.sandbox.policy import Isolation, chosen_isolation, find_bwrap
from szagents.backends.sandbox.scrub import sandbox_env, scrub
from szagents.backends.sandbox.spawn import Prelude, apply_rlimits, prelude_tools
from szagents.backends.sandbox.treecpu import TreeCpu
from szagents.backends.sandbox.uids import private_uid

__all__ = ["SandboxProcess", "run_limited", "SECCOMP_FD"]

SECCOMP_FD = 9  # bwrap reads the seccomp filter here (the runner uses 3-6, a compile 3)


class _Capped:
    """Drain a pipe on a thread, keeping the first `limit` bytes and counting the rest."""

    def __init__(self, pipe: object, limit: int) -> None:
        self.kept, self.dropped, self._limit = bytearray(), 0, limit
        self.thread = threading.Thread(target=self._drain, args=(pipe,), daemon=True)
        self.thread.start()

    def _drain(self, pipe: object) -> None:
        read = pipe.read  # type: ignore[attr-defined]
        while chunk := read(65536):
            room = self._limit - len(self.kept)
            self.kept += chunk[:max(room, 0)]
            self.dropped += max(len(chunk) - max(room, 0), 0)

    def text(self) -> str:
        text = self.kept.decode("utf-8", errors="replace")
        if self.dropped:
            text += f"\n[... {self.dropped} more bytes of output dropped (cap {self._limit} bytes) ...]"
        return scrub(text)


class SandboxProcess:
    """One sandboxed process tree: start(), talk to it through inherited fds, then finish()."""

    def __init__(self, command: Sequence[str], *, limits: Limits, spec: SandboxSpec | None = None,
                 isolation: Isolation | str | None = None, cwd: Path | None = None,
                 env: Mapping[str, str] | None = None, fd_map: Mapping[int, int] | None = None) -> None:
        self.limits, self.spec = limits, spec or SandboxSpec()
        self.isolation = chosen_isolation(isolation)
        self._command, self._cwd, self._env = list(command), cwd, env
        self._fd_map = dict(fd_map or {})  # fd number in the sandbox -> our fd
        self._stack = ExitStack()
        self._group = TreeGroup(limits.memory_bytes, limits.process_limit())
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0

    def _argv(self) -> tuple[list[str], bool]:
        """(argv, whether RLIMIT_NPROC applies to a private uid)."""
        env = sandbox_env({"HOME": "/tmp", "TMPDIR": "/tmp", **(self._env or {})})
        if self.isolation is Isolation.rlimits_only:
            return self._command, False
        spec = SandboxSpec(**{**self.spec.__dict__, "env": {**env, **self.spec.env}})
        argv = [find_bwrap() or "bwrap", *self._seccomp()]
        if os.geteuid() != 0:
            return [*argv, "--unshare-user", "--disable-userns", *bwrap_args(spec, self.limits.scratch_bytes),
                    "--", *self._command], False
        uid = self._stack.enter_context(private_uid())
        drop = [shutil.which("setpriv") or "/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}",
                "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
        return [*argv, *bwrap_args(spec, self.limits.scratch_bytes), "--", *drop, *self._command], True

    def _seccomp(self) -> list[str]:
        """bwrap's --seccomp option with the keyring filter, passed on a descriptor the tree inherits."""
        fd = filter_fd()
        if fd is None:
            return []
        self._stack.callback(os.close, fd)
        self._fd_map[SECCOMP_FD] = fd
        return ["--seccomp", str(SECCOMP_FD)]

    def start(self, stdin: bytes | None = None) -> SandboxProcess:
        """Start the tree (in its cgroup when one is delegated here)."""
        argv, nproc = self._argv()
        grouped = self._group.create()
        group = self._group if grouped else None
        env = None if self.isolation is Isolation.bwrap else sandbox_env(
            {"HOME": str(self._cwd or "/tmp"), "TMPDIR": os.environ.get("TMPDIR", "/tmp"), **(self._env or {})})

        fd_map = self._fd_map

        def preexec() -> None:
            if group is not None:
                group.join()
            # Through fds above every target first: a source may sit on another mapping's target.
            high = {target: fcntl.fcntl(source, fcntl.F_DUPFD, 1000) for target, source in fd_map.items()}
            for target, source in high.items():
                os.dup2(source, target)
            apply_rlimits(self.limits, nproc)

        popen = dict(stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        tools = prelude_tools() if self.isolation is Isolation.bwrap else None
        self.started = time.perf_counter()
        if tools is None:
            self.proc = subprocess.Popen(
                argv, cwd=self._cwd if self.isolation is Isolation.rlimits_only else None, env=env or {},
                pass_fds=tuple(self._fd_map), preexec_fn=preexec, **popen)  # type: ignore[call-overload]
        else:  # the same steps after a vfork spawn (spawn.py)
            with Prelude(tools, argv, fd_map, group.dirs if group else [], self.limits, nproc) as prelude:
                self.proc = subprocess.Popen(prelude.argv, env={}, pass_fds=prelude.pass_fds(),
                                             **popen)  # type: ignore[call-overload]
        self._out = _Capped(self.proc.stdout, self.limits.output_bytes)
        self._err = _Capped(self.proc.stderr, self.limits.output_bytes)
        try:
            if stdin:
                self.proc.stdin.write(stdin)  # type: ignore[union-attr]
            self.proc.stdin.close()  # type: ignore[union-attr]
        except OSError:  # the child exited (or closed stdin) before reading it
            pass
        return self

    def tree_cpu(self) -> TreeCpu:
        """A reader of the started tree's CPU time (its cgroup's accounting where it has one)."""
        assert self.proc is not None
        return TreeCpu(self.proc.pid, self._group if self._group.dirs else None)

    def deadline(self) -> float:
        return self.started + self.limits.wall_seconds

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def finish(self, kill: bool = False) -> ProcessOutcome:
        """Wait for the tree until the wall limit (or kill it now); reap everything; the outcome."""
        assert self.proc is not None
        timed_out = False
        try:
            if kill:
                self._kill()
            wait_process(self.proc, self.deadline() - time.perf_counter())
        except subprocess.TimeoutExpired:
            timed_out = True
            self._kill()
            self.proc.wait()
        wall = time.perf_counter() - self.started
        self._kill()  # rlimits-only: whatever the command left behind in its session
        oom = self._group.out_of_memory()
        self._group.remove()
        lost = any(t.thread.join(2.0) or t.thread.is_alive() for t in (self._out, self._err))
        self._stack.close()
        stderr = self._err.text() + ("\n(output cut: a descendant process kept the pipes open)" if lost else "")
        return ProcessOutcome(returncode=self._returncode(), stdout=self._out.text(), stderr=stderr,
                              timed_out=timed_out, wall_seconds=wall, isolation=self.isolation.value,
                              dropped_bytes=self._out.dropped + self._err.dropped, out_of_memory=oom)

    def _returncode(self) -> int | None:
        code = self.proc.returncode if self.proc else None
        # bwrap reports a command killed by signal N as 128 + N.
        if self.isolation is Isolation.bwrap and code is not None and 128 < code < 128 + 65:
            return -(code - 128)
        return code

    def _kill(self) -> None:
        assert self.proc is not None
        for target in (lambda: os.killpg(self.proc.pid, signal.SIGKILL), self.proc.kill):  # type: ignore[union-attr]
            try:
                target()
            except (ProcessLookupError, PermissionError):
                pass
        self._group.kill()


def run_limited(command: Sequence[str], *, limits: Limits, cwd: Path, stdin: str = "",
                env: Mapping[str, str] | None = None, spec: SandboxSpec | None = None,
                isolation: Isolation | str | None = None, fd_map: Mapping[int, int] | None = None) -> ProcessOutcome:
    """Run command to completion in the sandbox (or under rlimits only, when chosen).

    fd_map: {fd number inside: our open fd} for channels the command inherits.
    """
    process = SandboxProcess(command, limits=limits, spec=spec, isolation=isolation, cwd=cwd, env=env,
                             fd_map=fd_map)
    return process.start(stdin.encode() if stdin else None).finish()
