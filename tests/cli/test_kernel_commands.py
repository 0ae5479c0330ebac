"""The kernel-only commands (validate, references, backends, tasks) work where the agent stack is absent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from szagents.paths import kernels_dir

# A machine with only CUDA, CuPy and numpy (the GPU box) has none of these; the blocker makes them unimportable.
AGENT_STACK = ("langgraph", "langchain", "langchain_core", "langchain_mcp_adapters", "mcp")
BLOCKER = f"""
import sys

class _NoAgentStack:
    def find_spec(self, name, path=None, target=None):
        top = name.split(".")[0]
        if top in {AGENT_STACK!r} or top.startswith("langchain"):
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked by the test)", name=name)
        return None

sys.meta_path.insert(0, _NoAgentStack())
"""


def _without_agent_stack(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    (tmp_path / "sitecustomize.py").write_text(BLOCKER)
    inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": os.pathsep.join([str(tmp_path), *inherited])}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=300)


def test_the_blocker_makes_the_agent_stack_unimportable(tmp_path):
    """Control: under the blocker, importing the run machinery (which needs LangGraph) fails."""
    done = _without_agent_stack(tmp_path, "-c", "import szagents.run.graph_run")
    assert done.returncode != 0 and "blocked by the test" in done.stderr, done.stderr


def test_validate_runs_without_the_agent_stack(tmp_path):
    """`szagents validate` checks a reference kernel and exits 0 with LangGraph, LangChain and MCP unimportable."""
    source = str(kernels_dir() / "szx" / "reference.c")
    done = _without_agent_stack(tmp_path, "-m", "szagents.cli", "validate", "--kernel", "szx", source,
                                "--dataset", "climate:90x180", "--rel", "1e-3")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "validation: ok" in done.stdout


def test_the_other_kernel_commands_run_without_the_agent_stack(tmp_path):
    """`backends` and `tasks` list what they list, and the `references` command's module imports, without the agent
    stack."""
    for command in ("backends", "tasks"):
        done = _without_agent_stack(tmp_path, "-m", "szagents.cli", command)
        assert done.returncode == 0 and "cpu" in done.stdout, done.stdout + done.stderr
    done = _without_agent_stack(tmp_path, "-c", "import szagents.cli.references, szagents.cli.validate")
    assert done.returncode == 0, done.stderr
