"""The optional shell tool: a command in the sandbox, over a read-only view of the workspace.

It is off by default. The command runs in the same sandbox as every other piece of untrusted work
(backends/sandbox): a private uid, no network, an allowlisted environment (API keys never reach
it), the workspace read-only as its working directory, a private sized /tmp as HOME for scratch
(builds, outputs), and a wall-clock limit that kills the whole tree. Files change only through
the file tools, so every change is seen and logged.
"""

from __future__ import annotations

import os

from szagents.backends.sandbox import SandboxSpec, run_limited, signal_name
from szagents.tools.context import ToolContext
from szagents.tools.formatting import clip, relativize

__all__ = ["SHELL_ENV_KEEP", "shell_env", "run_shell"]

SHELL_ENV_KEEP = (
    "PATH", "LANG", "LC_ALL", "TERM", "CC", "CXX", "CUDA_HOME", "CUDA_PATH", "LD_LIBRARY_PATH",
    "CUDA_VISIBLE_DEVICES", "OMP_NUM_THREADS",
)


def shell_env(ctx: ToolContext) -> dict[str, str]:
    """What the shell gets beyond the sandbox's allowlisted environment: the toolchain variables."""
    return {k: os.environ[k] for k in SHELL_ENV_KEEP if k in os.environ}


def run_shell(ctx: ToolContext, command: str) -> str:
    """Run command with bash in the workspace; exit status, then stdout and stderr (cut to fit)."""
    limits = ctx.limits.shell
    root = ctx.workspace.root.resolve()
    spec = SandboxSpec(ro=(root,), python=True, gpu=ctx.backend.requirements.gpu, cwd=str(root))
    outcome = run_limited(["/bin/bash", "-c", command], limits=limits, cwd=root, env=shell_env(ctx), spec=spec)
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
