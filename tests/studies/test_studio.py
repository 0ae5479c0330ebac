"""The shipped graphs under `langgraph dev`, driven over loopback with the LangGraph SDK client: schemas
are served, and an empty input with a (task, model, tier) context runs a real offline agent."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytest.importorskip("langgraph_api", reason="needs langgraph-cli[inmem] (the studio extra)")
langgraph_sdk = pytest.importorskip("langgraph_sdk")

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path):
    """`langgraph dev` on 127.0.0.1 with the repository's langgraph.json and graphs/ (copied: the server resolves
    graph paths and keeps its .langgraph_api/ store in its working folder); stopped after the test."""
    shutil.copy(REPO / "langgraph.json", tmp_path)
    shutil.copytree(REPO / "graphs", tmp_path / "graphs")
    port = _free_port()
    cli = Path(sys.executable).with_name("langgraph")
    env = {**os.environ, "LANGSMITH_TRACING": "false", "LANGGRAPH_CLI_NO_ANALYTICS": "1"}
    proc = subprocess.Popen([str(cli), "dev", "--config", "langgraph.json", "--host", "127.0.0.1",
                             "--port", str(port), "--no-browser", "--no-reload"], cwd=tmp_path, env=env,
                            stdout=open(tmp_path / "server.log", "w"), stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            try:
                if httpx.get(f"{url}/ok", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail("langgraph dev did not come up in 120 s:\n" + (tmp_path / "server.log").read_text()[-3000:])
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


async def _drive(url: str, runs_dir: Path) -> dict:
    client = langgraph_sdk.get_client(url=url)
    assistants = {a["graph_id"]: a["assistant_id"] for a in await client.assistants.search()}
    found = {"graphs": sorted(assistants)}
    for graph_id, assistant in assistants.items():
        schemas = await client.assistants.get_schemas(assistant)
        found[graph_id] = {"state": sorted(schemas["state_schema"]["properties"]),
                           "context": schemas["context_schema"]["properties"],
                           "nodes": [n["id"] for n in (await client.assistants.get_graph(assistant))["nodes"]]}
    thread = await client.threads.create()
    found["result"] = await client.runs.wait(thread["thread_id"], "single_agent", input={},
                                             context={"runs_dir": str(runs_dir), "tier": "user"})
    found["thread"] = thread["thread_id"]
    return found


def test_langgraph_dev_serves_schemas_and_runs_the_single_agent_graph(server: str, tmp_path: Path):
    """Both graphs list their state and context schemas; a run with only {runs_dir, tier} in its context
    uses the defaults (szx-optimize-cpu, scripted:demo), really compiles and benchmarks, and writes a run folder."""
    found = asyncio.run(_drive(server, tmp_path / "runs"))
    assert found["graphs"] == ["multi_agent", "single_agent"]
    assert {"run_id", "revisions", "conversations", "best"} <= set(found["single_agent"]["state"])
    context = found["single_agent"]["context"]
    assert context["task"]["default"] == "szx-optimize-cpu" and context["model"]["default"] == "scripted:demo"
    assert set(context["tier"]["enum"]) == {"user", "knowledgeable", "expert"}
    assert {"translator", "optimizer", "validator"} <= set(found["multi_agent"]["nodes"])
    result = found["result"]
    assert result["stop_reason"] == "agent_stop" and result["best"] is not None
    best = next(r for r in result["revisions"] if r["number"] == result["best"])
    assert best["correct"] and best["compress_gbps"] > 0
    events = [json.loads(line) for line in
              (tmp_path / "runs" / f"studio-{found['thread']}" / "trajectory.jsonl").read_text().splitlines()]
    start = events[0]
    assert start["event"] == "run_start" and start["tier"] == "user" and start["models"]["optimizer"] == "scripted:demo"
    ends = [e for e in events if e["event"] == "run_end"]
    assert len(ends) == 1 and ends[0]["best_revision"] == result["best"]
