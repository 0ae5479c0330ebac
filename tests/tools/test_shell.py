"""The optional shell tool: off by default; when on, sandboxed over a read-only workspace, without secrets."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from szagents.backends.sandbox import Limits
from szagents.tools import ToolLimits, make_tools


def _shell(ctx, **limit_changes):
    if limit_changes:
        ctx = replace(ctx, limits=ToolLimits(shell=Limits(drop_privileges=False, **limit_changes)))
    return next(t for t in make_tools(ctx, shell=True) if t.name == "shell")


def test_shell_is_off_by_default(cpu_ctx):
    """Without shell=True there is no shell tool."""
    assert "shell" not in {t.name for t in make_tools(cpu_ctx)}


def test_shell_runs_in_the_workspace_without_secrets(cpu_ctx, monkeypatch):
    """pwd is the workspace, HOME the private scratch /tmp, and API keys of the parent are not passed on."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value-123")
    out = _shell(cpu_ctx).invoke({"command": 'pwd; echo "home=$HOME key=${OPENAI_API_KEY:-none}"; ls'})
    root = str(cpu_ctx.workspace.root.resolve())
    assert out.startswith("exit status 0")
    assert f"stdout:\n{root}\nhome=/tmp key=none" in out
    assert "sk-secret" not in out and "kernel.c" in out


def test_shell_cannot_change_the_workspace_or_reach_out(cpu_ctx):
    """Writes to the workspace fail (files change only through the file tools); scratch in /tmp works; no network."""
    command = ("echo x > kernel.c || echo refused; echo y > /tmp/scratch && cat /tmp/scratch; "
               "(exec 3<>/dev/tcp/127.0.0.1/22) 2>/dev/null && echo connected || echo offline; "
               "ls /root /home 2>&1 | head -2")
    out = _shell(cpu_ctx).invoke({"command": command})
    assert "refused" in out and "\ny\n" in out and "offline" in out and "connected" not in out
    assert (cpu_ctx.workspace.root / "kernel.c").read_text() != "x\n"


def test_shell_can_compile_by_hand(cpu_ctx):
    """gcc works in the workspace with the ABI header beside the source."""
    out = _shell(cpu_ctx).invoke({"command": "gcc -O1 -fsyntax-only -I. kernel.c && echo compiled"})
    assert "exit status 0" in out and "compiled" in out


@pytest.mark.slow
def test_shell_times_out_and_kills_the_group(cpu_ctx):
    """A command past the wall-clock limit is killed, children included, and says so."""
    start = time.perf_counter()
    out = _shell(cpu_ctx, wall_seconds=1).invoke({"command": "sleep 30 & sleep 30; echo never"})
    assert time.perf_counter() - start < 15
    assert "timed out after 1 s" in out and "never" not in out


def test_shell_reports_exit_status_and_stderr(cpu_ctx):
    """A failing command returns its status and stderr as text."""
    out = _shell(cpu_ctx).invoke({"command": "echo oops >&2; exit 3"})
    assert out.startswith("exit status 3") and "stderr:\noops" in out


def test_tool_results_never_carry_a_secret(cpu_ctx, monkeypatch):
    """Whatever a tool returns to the model (here a file that holds the key) has the key redacted."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret-987654321")
    (cpu_ctx.workspace.root / "notes.txt").write_text("key: sk-ant-secret-987654321\n")
    read = next(t for t in make_tools(cpu_ctx) if t.name == "read_file")
    out = read.invoke({"path": "notes.txt"})
    assert "sk-ant-secret" not in out and "[redacted]" in out
