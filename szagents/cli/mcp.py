"""`szagents mcp` (one task run served over MCP) and `szagents run --agent external` (an outside agent as a run)."""

from __future__ import annotations

import errno
import os
import secrets
import signal
import socket
import time
from pathlib import Path
from typing import Annotated, Optional

from typing import TYPE_CHECKING

import typer

from szagents.errors import SzAgentsError
from szagents.tiers import TIERS

if TYPE_CHECKING:  # the MCP SDK, LangGraph and the run machinery load only when a command needs them
    from rich.console import Console

    from szagents.external.run import McpBudgets, McpRun
    from szagents.run.config import RunConfig

__all__ = ["required_token", "check_address", "mcp_command", "external_run"]

TRANSPORTS = ("stdio", "streamable-http")
def _config(task: str, tier: str, target: Optional[str], budget: Optional[str], runs_dir: Path, run_id: str,
            shell: bool, quick: bool) -> tuple[RunConfig, McpBudgets]:
    if tier not in TIERS:  # before the run machinery loads: a bad option fails at once
        raise SzAgentsError(f"unknown --tier {tier!r}; use one of {', '.join(TIERS)}")
    from szagents.external.graph import external_team, parse_mcp_budgets
    from szagents.run.config import RunConfig

    task_budgets, budgets = parse_mcp_budgets(task, budget)
    config = RunConfig(task=task, team=external_team("mcp"), tier=tier, backend=target, budgets=task_budgets,
                       runs_dir=runs_dir, run_id=run_id, shell=shell, quick=quick)
    return config, budgets


def _exit_on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM on stdio is how a client stops the server it started (the MCP spec's shutdown): the agent's stop."""
    raise SystemExit(0)


def required_token(transport: str, host: str, token: Optional[str]) -> tuple[Optional[str], bool]:
    """(the token HTTP clients must send, whether it was generated): one is always required off loopback."""
    from szagents.mcp.server import is_loopback

    if transport == "stdio" or token or is_loopback(host):
        return token or None, False
    return secrets.token_urlsafe(24), True


def check_address(host: str, port: int) -> None:
    """Fail (before anything is written) when host:port cannot be served, saying which part is wrong and the fix."""
    if not 0 <= port <= 65535:
        raise SzAgentsError(f"bad --port {port}: a TCP port is 0-65535 (0: any free port)")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise SzAgentsError(f"bad --host {host!r}: {getattr(exc, 'strerror', None) or exc}; give an address of this "
                            "machine, e.g. 127.0.0.1 (loopback only) or 0.0.0.0 (every interface, with a token)") from None
    with socket.socket(family, kind, proto) as probe:
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise SzAgentsError(f"cannot serve on {host}:{port}: the port is taken; pass another --port, or 0 for "
                                    "any free port") from None
            raise SzAgentsError(f"cannot serve on {host}:{port} ({exc.strerror}); give an address of this machine, "
                                "e.g. 127.0.0.1 or 0.0.0.0") from None


def _serve_http(run: McpRun, host: str, port: int, token: Optional[str], err: Console) -> int:
    """Serve run on host:port until the run ends (0) or a signal stops the server (130 Ctrl-C, 143 SIGTERM)."""
    from szagents.cli.errors import Terminated
    from szagents.mcp.server import HttpServer, http_app

    with HttpServer(http_app(run, token, instructions=run.instructions()), host, port) as http:
        err.print(f"MCP server for run {run.run_id} (task {run.task.id}): {http.url}"
                  + (" (bearer token required)" if token else ""), highlight=False, soft_wrap=True)
        _announce(run, err)
        try:
            while not run.ended:
                time.sleep(0.2)
            time.sleep(1.0)  # let the answer that ended the run reach its client
        except KeyboardInterrupt as exc:  # SIGTERM (Terminated) or Ctrl-C: the operator stopped the run
            why = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
            err.print(f"{why}: ending the run as interrupted", highlight=False)
            run.close("interrupted")
            return 143 if isinstance(exc, Terminated) else 130
    return 0


def _announce(run: McpRun, err: Console) -> None:
    """Say when the run folder is written and what the first tool call does first."""
    first = (" It first measures the starting code as the baseline (compile, validate, benchmark), so that "
             "call takes a while." if run.measures_baseline() else "")
    err.print(f"The run folder {run.run_dir} is written at the first tool call (listing tools writes nothing).{first}",
              highlight=False)


def mcp_command(
    task: Annotated[str, typer.Option(help="task id (see `szagents tasks`)")],
    runs_dir: Annotated[Path, typer.Option(help="folder that receives the run folder")] = Path("runs"),
    run_id: Annotated[str, typer.Option(help="run folder name (default: task-external-tier-timestamp)")] = "",
    tier: Annotated[str, typer.Option(help="prompt tier of the brief: user, knowledgeable or expert")] = "user",
    budget: Annotated[Optional[str], typer.Option(help="e.g. tool_calls=160,wall=3600 (default: 4 x the task's iterations, its wall time)")] = None,
    transport: Annotated[str, typer.Option(help="stdio or streamable-http")] = "stdio",
    host: Annotated[str, typer.Option(help="HTTP address to bind (off loopback a bearer token is required)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTP port, 0-65535 (0: any free port)")] = 8765,
    token: Annotated[Optional[str], typer.Option(help="bearer token clients must send (default $SZAGENTS_MCP_TOKEN; generated off loopback)")] = None,
    shell: Annotated[bool, typer.Option(help="offer the sandboxed shell tool")] = False,
    quick: Annotated[bool, typer.Option(help="fewer benchmark repetitions, on the task's smaller quick datasets")] = False,
    target: Annotated[Optional[str], typer.Option(help="backend to run on (default: the task's target)")] = None,
) -> None:
    """Serve one task run to an MCP client: the agent tools, the brief (prompt) and the workspace (resources)."""
    if transport not in TRANSPORTS:  # the options first: a bad one fails before the MCP SDK and LangGraph load
        raise SzAgentsError(f"unknown --transport {transport!r}; use stdio or streamable-http")
    if transport != "stdio":
        check_address(host, port)
    config, budgets = _config(task, tier, target, budget, runs_dir, run_id, shell, quick)
    import anyio
    from rich.console import Console

    from szagents.cli.progress import ProgressPrinter
    from szagents.external.run import McpRun
    from szagents.mcp.server import build_server, serve_stdio

    err = Console(stderr=True)  # stdout belongs to the stdio transport
    token, generated = required_token(transport, host, token or os.environ.get("SZAGENTS_MCP_TOKEN"))
    if generated:  # the token on a line of its own, never wrapped, so it can be copied
        err.print("bound off loopback: clients must send this header:", highlight=False)
        err.print(f"Authorization: Bearer {token}", highlight=False, markup=False, soft_wrap=True)
    run = McpRun(config, budgets, observer=ProgressPrinter(err))
    code = 0
    with run:
        if transport == "stdio":
            signal.signal(signal.SIGTERM, _exit_on_sigterm)
            _announce(run, err)
            anyio.run(serve_stdio, build_server(run, instructions=run.instructions()))
        else:
            code = _serve_http(run, host, port, token, err)
    written = run.started
    err.print(f"run folder: {run.run_dir}" if written else "no tool call was made: no run folder written",
              highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def external_run(console: Console, *, task: str, command: Optional[str], tier: str, target: Optional[str],
                 budget: Optional[str], runs_dir: Path, run_id: str, shell: bool, quick: bool, stdio: bool = False) -> int:
    """`szagents run --agent external[-stdio] --command ...`: the exit code (0 when a correct revision exists).

    external serves the run over HTTP on loopback; external-stdio lets the agent start the server itself.
    """
    if not command:
        raise SzAgentsError("--agent external needs --command '<agent command line>' (README, section MCP, has recipes)")
    config, budgets = _config(task, tier, target, budget, runs_dir, run_id, shell, quick)
    from szagents.cli.progress import ProgressPrinter
    from szagents.external.runner import run_external
    from szagents.external.runner_stdio import run_external_stdio

    runner = run_external_stdio if stdio else run_external
    outcome = runner(config, budgets, command, observer=ProgressPrinter(console))
    console.print(f"run folder: {outcome.run_dir} (the agent's output is in agent/)")
    return 0 if outcome.best else 1
