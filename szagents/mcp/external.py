"""Run an outside agent (Codex CLI, Gemini CLI, Claude Code, any MCP client) as a szagents run.

The runner serves the run over streamable HTTP on 127.0.0.1 with a one-off bearer token, writes
the agent's MCP configuration and prompt into run_dir/agent/, and launches the command there with
bash. The command finds everything in its environment:

    SZAGENTS_MCP_URL      the server's endpoint (http://127.0.0.1:PORT/mcp)
    SZAGENTS_MCP_TOKEN    the bearer token (header `Authorization: Bearer $SZAGENTS_MCP_TOKEN`)
    SZAGENTS_MCP_CONFIG   an `mcpServers` JSON file (Claude Code's --mcp-config format) naming both
                          (Gemini CLI's form of it is written as .gemini/settings.json in the folder)
    SZAGENTS_PROMPT_FILE  the brief; the same text is also written to the command's stdin

The runner stops the command (SIGTERM to its process group, SIGKILL after a grace period) when
the run ends (budget spent, plateau) or the wall-time budget passes, then ends the run.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from szagents.mcp.run import McpBudgets, McpRun
from szagents.mcp.server import HttpServer, build_server, http_app
from szagents.sweep.config import RunConfig
from szagents.sweep.run import RunOutcome
from szagents.trajectory.events import ErrorEvent

__all__ = ["SERVER_NAME", "agent_environment", "run_external"]

SERVER_NAME = "szagents"  # the MCP server's name in the agent's configuration (tools appear as szagents.*)
GRACE_SECONDS = 5.0


def agent_environment(run: McpRun, url: str, token: str) -> dict[str, str]:
    """Write the agent's MCP configurations and prompt into run_dir/agent; the variables naming them."""
    folder = run.run_dir / "agent"
    (folder / ".gemini").mkdir(parents=True, exist_ok=True)
    headers = {"Authorization": f"Bearer {token}"}
    claude = {"mcpServers": {SERVER_NAME: {"type": "http", "url": url, "headers": headers}}}
    gemini = {"mcpServers": {SERVER_NAME: {"httpUrl": url, "headers": headers, "trust": True,
                                           "timeout": int(run.budgets.wall_seconds * 1000)}}}
    (folder / "mcp.json").write_text(json.dumps(claude, indent=2))
    (folder / ".gemini" / "settings.json").write_text(json.dumps(gemini, indent=2))  # Gemini CLI's project settings
    (folder / "prompt.md").write_text(run.brief())
    return {"SZAGENTS_MCP_URL": url, "SZAGENTS_MCP_TOKEN": token, "SZAGENTS_MCP_CONFIG": str(folder / "mcp.json"),
            "SZAGENTS_PROMPT_FILE": str(folder / "prompt.md"), "SZAGENTS_RUN_DIR": str(run.run_dir)}


def _launch(command: str, folder: Path, env: dict[str, str], prompt: str) -> subprocess.Popen:
    """Start command with bash in folder, its own process group, output to files, prompt on stdin."""
    with open(folder / "stdout.log", "wb") as out, open(folder / "stderr.log", "wb") as err:
        process = subprocess.Popen(["/bin/bash", "-c", command], cwd=folder, env={**os.environ, **env},
                                   stdin=subprocess.PIPE, stdout=out, stderr=err, start_new_session=True)
    try:
        process.stdin.write(prompt.encode())
        process.stdin.close()
    except BrokenPipeError:  # the command does not read its stdin
        pass
    return process


def _stop(process: subprocess.Popen, grace_s: float) -> None:
    """SIGTERM the command's process group; SIGKILL what is left after grace_s."""
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def _supervise(run: McpRun, process: subprocess.Popen, budgets: McpBudgets, grace_s: float) -> str | None:
    """Wait for the command; stop it when the run ends or wall time passes. The stop reason it implies."""
    deadline = time.monotonic() + budgets.wall_seconds + grace_s
    while process.poll() is None:
        if run.ended:
            break
        if time.monotonic() > deadline:
            _stop(process, grace_s)
            return "budget_wall"
        time.sleep(0.1)
    if process.poll() is None:
        _stop(process, grace_s)
        return None
    if process.returncode != 0 and not run.ended:
        tail = (run.run_dir / "agent" / "stderr.log").read_text(errors="replace")[-1500:]
        run.sink.emit(ErrorEvent(run_id=run.run_id, kind="agent",
                                 message=f"the agent command exited with status {process.returncode}: {tail}"))
        return "error"
    return "agent_stop"


def run_external(config: RunConfig, budgets: McpBudgets, command: str, observer: Any | None = None,
                 grace_s: float = GRACE_SECONDS) -> RunOutcome:
    """Serve config's task over MCP, run command as its agent within budgets, end the run like any other."""
    token = secrets.token_urlsafe(24)
    run = McpRun(config, budgets, observer)
    with run:
        server = build_server(run, instructions=run.instructions())
        with HttpServer(http_app(server, token)) as http:
            env = agent_environment(run, http.url, token)
            process = _launch(command, run.run_dir / "agent", env, run.brief())
            try:
                reason = _supervise(run, process, budgets, grace_s)
            finally:
                if process.poll() is None:
                    _stop(process, grace_s)
            if reason is not None:
                run.end(reason)
    return RunOutcome(run.run_dir, run.run_id, run.state)
