"""The optional shell tool: a command in the workspace, with a scrubbed environment and limits.

It is off by default. It runs as the harness's user with rlimits, a wall-clock timeout that kills
the whole process group, the workspace as working directory and HOME, and an environment without
secrets (API keys never reach it). It is not a security boundary against a hostile model.
"""

from __future__ import annotations

import os

from szagents.backends.sandbox import run_limited, signal_name
from szagents.tools.context import ToolContext
from szagents.tools.formatting import clip, relativize

__all__ = ["SHELL_ENV_KEEP", "shell_env", "run_shell"]

SHELL_ENV_KEEP = (
    "PATH", "LANG", "LC_ALL", "TERM", "CC", "CXX", "CUDA_HOME", "CUDA_PATH", "LD_LIBRARY_PATH",
    "CUDA_VISIBLE_DEVICES", "OMP_NUM_THREADS",
)


def shell_env(ctx: ToolContext) -> dict[str, str]:
    """The shell's environment: an allow-list of the parent's, HOME and TMPDIR in the workspace."""
    env = {k: os.environ[k] for k in SHELL_ENV_KEEP if k in os.environ}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    tmp = ctx.workspace.root / ".tmp"
    tmp.mkdir(exist_ok=True)
    env.update(HOME=str(ctx.workspace.root), TMPDIR=str(tmp))
    return env


def run_shell(ctx: ToolContext, command: str) -> str:
    """Run command with bash in the workspace; exit status, then stdout and stderr (cut to fit)."""
    limits = ctx.limits.shell
    outcome = run_limited(["/bin/bash", "-c", command], limits=limits, cwd=ctx.workspace.root, env=shell_env(ctx))
    if outcome.timed_out:
        status = f"timed out after {limits.wall_seconds:g} s; the command and its children were killed"
    elif outcome.returncode is not None and outcome.returncode < 0:
        status = f"killed by {signal_name(-outcome.returncode)}"
    else:
        status = f"exit status {outcome.returncode}"
    budget = max(ctx.limits.output_chars - 200, 500)
    parts = [status]
    for name, text in (("stdout", outcome.stdout), ("stderr", outcome.stderr)):
        if text.strip():
            parts.append(f"{name}:\n" + clip(relativize(text.rstrip(), ctx.workspace.root), budget // 2))
    return "\n".join(parts)
