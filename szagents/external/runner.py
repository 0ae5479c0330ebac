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
the run ends (budget spent, plateau) or the wall-time budget passes, then ends the run. An agent
that starts the server itself over stdio is run by `runner_stdio.run_external_stdio`.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from szagents.external.run import McpBudgets, McpRun
from szagents.mcp.server import HttpServer, http_app
from szagents.run.config import RunConfig
from szagents.run.outcome import RunOutcome
from szagents.trajectory.events import ErrorEvent

__all__ = ["SERVER_NAME", "write_agent_files", "agent_environment", "launch", "stop_process", "supervise",
           "exit_reason", "run_external"]

SERVER_NAME = "szagents"  # the MCP server's name in the agent's configuration (tools appear as szagents.*)
GRACE_SECONDS = 5.0


def write_agent_files(folder: Path, claude: dict[str, Any], gemini: dict[str, Any], prompt: str) -> dict[str, str]:
    """The server entry in Claude Code's and Gemini CLI's config formats, and the prompt; variables naming them."""
    (folder / ".gemini").mkdir(parents=True, exist_ok=True)
    (folder / "mcp.json").write_text(json.dumps({"mcpServers": {SERVER_NAME: claude}}, indent=2))
    settings = {"mcpServers": {SERVER_NAME: {**gemini, "trust": True}}}
    (folder / ".gemini" / "settings.json").write_text(json.dumps(settings, indent=2))  # Gemini CLI's project settings
    (folder / "prompt.md").write_text(prompt)
    return {"SZAGENTS_MCP_CONFIG": str(folder / "mcp.json"), "SZAGENTS_PROMPT_FILE": str(folder / "prompt.md"),
            "SZAGENTS_RUN_DIR": str(folder.parent)}


def agent_environment(run: McpRun, url: str, token: str) -> dict[str, str]:
    """Write the agent's MCP configurations (the HTTP server) and prompt into run_dir/agent; the variables."""
    headers = {"Authorization": f"Bearer {token}"}
    timeout_ms = int(run.budgets.wall_seconds * 1000)
    files = write_agent_files(run.run_dir / "agent", {"type": "http", "url": url, "headers": headers},
                              {"httpUrl": url, "headers": headers, "timeout": timeout_ms}, run.brief())
    return {"SZAGENTS_MCP_URL": url, "SZAGENTS_MCP_TOKEN": token, **files}


def launch(command: str, folder: Path, env: dict[str, str], prompt: str) -> subprocess.Popen:
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


def stop_process(process: subprocess.Popen, grace_s: float) -> None:
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


def supervise(process: subprocess.Popen, ended: Callable[[], bool], wall_seconds: float, grace_s: float) -> str | None:
    """Wait for the command; stop it when ended() or wall time passes. "budget_wall", or None when it exited or was stopped."""
    deadline = time.monotonic() + wall_seconds + grace_s
    while process.poll() is None:
        if ended():
            break
        if time.monotonic() > deadline:
            stop_process(process, grace_s)
            return "budget_wall"
        time.sleep(0.1)
    if process.poll() is None:
        stop_process(process, grace_s)
    return None


def exit_reason(run: McpRun, process: subprocess.Popen) -> str:
    """agent_stop, or error (with an error event quoting its stderr) when the command failed before the run ended."""
    if process.returncode not in (0, None) and not run.ended:
        tail = (run.run_dir / "agent" / "stderr.log").read_text(errors="replace")[-1500:]
        run.emit(ErrorEvent(run_id=run.run_id, kind="agent",
                            message=f"the agent command exited with status {process.returncode}: {tail}"))
        return "error"
    return "agent_stop"


def run_external(config: RunConfig, budgets: McpBudgets, command: str, observer: Any | None = None,
                 grace_s: float = GRACE_SECONDS) -> RunOutcome:
    """Serve config's task over MCP (HTTP), run command as its agent within budgets, end the run like any other."""
    token = secrets.token_urlsafe(24)
    run = McpRun(config, budgets, observer)
    with run:
        with HttpServer(http_app(run, token, instructions=run.instructions())) as http:
            env = agent_environment(run, http.url, token)
            process = launch(command, run.run_dir / "agent", env, run.brief())
            try:
                reason = supervise(process, lambda: run.ended, budgets.wall_seconds, grace_s)
            finally:
                stop_process(process, grace_s)
            run.end(reason or exit_reason(run, process))
    return RunOutcome(run.run_dir, run.run_id, run.state)
