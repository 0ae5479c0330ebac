"""Per-tool-call overhead of the MCP boundary vs in-process tools, with the tool's own time excluded.

The tool is list_files (sub-millisecond). Measured: the in-process tool call (what a graph run
does), a recorded `szagents mcp` run in a child process over stdio and over streamable HTTP on
127.0.0.1 (a real client session; the server also writes each call to the trajectory), and the
`--tools mcp` bridge (LangChain tools through langchain-mcp-adapters to a server in this process).
Overhead = median MCP call - median in-process call. Goal: <= 10 ms.

    .venv/bin/python bench/mcp_overhead.py [--calls 200]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from szagents.backends.registry import get_backend
from szagents.mcp.bridge import mcp_tools
from szagents.mcp.client import http_session
from szagents.tasks.catalog import get_task
from szagents.tools.context import ToolContext
from szagents.tools.registry import make_tools
from szagents.workspace.materialize import materialize

TASK = "szx-translate-cpu"


def _timed(call: Callable[[], object], calls: int) -> list[float]:
    times = []
    for _ in range(calls):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return times


async def _timed_async(call: Callable[[], Awaitable[object]], calls: int) -> list[float]:
    for _ in range(5):  # warm-up
        await call()
    times = []
    for _ in range(calls):
        began = time.perf_counter()
        await call()
        times.append(time.perf_counter() - began)
    return times


def _server_args(folder: Path, run_id: str) -> list[str]:
    return ["-m", "szagents.cli", "mcp", "--task", TASK, "--runs-dir", str(folder), "--run-id", run_id,
            "--budget", "tool_calls=1000000"]


def stdio_times(folder: Path, calls: int) -> list[float]:
    async def measure() -> list[float]:
        params = StdioServerParameters(command=sys.executable, args=_server_args(folder, "stdio"))
        with open(os.devnull, "w") as quiet:
            async with stdio_client(params, errlog=quiet) as (read, write), ClientSession(read, write) as session:
                await session.initialize()
                return await _timed_async(lambda: session.call_tool("list_files", {}), calls)

    return anyio.run(measure)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_times(folder: Path, calls: int) -> list[float]:
    port = _free_port()
    args = [*_server_args(folder, "http"), "--transport", "streamable-http", "--port", str(port)]
    server = subprocess.Popen([sys.executable, *args], stderr=subprocess.PIPE, text=True)
    try:
        while "MCP server for run" not in server.stderr.readline():  # it prints its URL once it serves
            if server.poll() is not None:
                raise SystemExit("the HTTP server did not start")
        threading.Thread(target=server.stderr.read, daemon=True).start()  # drain its progress lines

        async def measure() -> list[float]:
            async with http_session(f"http://127.0.0.1:{port}/mcp", name="bench") as session:
                return await _timed_async(lambda: session.call_tool("list_files", {}), calls)

        return anyio.run(measure)
    finally:
        server.terminate()
        server.wait(timeout=30)


def local_and_bridge_times(folder: Path, calls: int) -> tuple[list[float], list[float]]:
    task = get_task(TASK)
    ctx = ToolContext.for_task(task, materialize(task, folder / "local"), get_backend("cpu"))
    local = {t.name: t for t in make_tools(ctx)}["list_files"]
    _timed(lambda: local.invoke({}), 20)
    in_process = _timed(lambda: local.invoke({}), calls)
    with mcp_tools(ctx) as tools:
        bridged = {t.name: t for t in tools}["list_files"]
        _timed(lambda: bridged.invoke({}), 5)
        return in_process, _timed(lambda: bridged.invoke({}), calls)


def _row(name: str, times: list[float], base_ms: float) -> str:
    median = statistics.median(times) * 1e3
    p90 = statistics.quantiles(times, n=10)[-1] * 1e3
    return f"{name:<34} {median:>9.2f} {p90:>9.2f} {median - base_ms:>12.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    calls = parser.parse_args().calls
    with tempfile.TemporaryDirectory(prefix="szagents-mcp-bench-") as tmp:
        folder = Path(tmp)
        in_process, bridged = local_and_bridge_times(folder, calls)
        stdio, http = stdio_times(folder, calls), http_times(folder, calls)
    base = statistics.median(in_process) * 1e3
    print(f"list_files, {calls} calls each; overhead = median - in-process median (tool time excluded)")
    print(f"{'path':<34} {'median ms':>9} {'p90 ms':>9} {'overhead ms':>12}")
    for name, times in (("in-process (graph run)", in_process), ("MCP stdio, recorded run", stdio),
                        ("MCP streamable HTTP, recorded run", http), ("--tools mcp bridge (HTTP, in-proc)", bridged)):
        print(_row(name, times, base))


if __name__ == "__main__":
    main()
