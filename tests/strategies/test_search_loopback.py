"""Both searches through the real langchain-openai client against a loopback OpenAI-compatible server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from szagents.paths import kernels_dir
from szagents.run.graph_run import start_run
from szagents.trajectory import read_run
from tests.models.loopback import chat_completion_body, serve_loopback
from tests.strategies.runs import search_config

pytestmark = pytest.mark.slow

OLD = "    size_t nconstant = 0;\n    for (size_t b = 0; b < nblocks; b++) {\n"
NEW = "    size_t nconstant = 0;\n#pragma omp parallel for reduction(+ : nconstant)\n    for (size_t b = 0; b < nblocks; b++) {\n"


def _reply(content: str, calls: list[tuple[str, dict]] = ()) -> tuple[int, dict, dict]:
    body = chat_completion_body("local-model", tool_call=bool(calls))
    message = body["choices"][0]["message"]
    message["content"] = content
    if calls:
        message["tool_calls"] = [{"id": f"c{i}", "type": "function", "function": {"name": n, "arguments": json.dumps(a)}}
                                 for i, (n, a) in enumerate(calls)]
    return 200, body, {}


def _config(tmp_path: Path, kind: str, calls: int, url: str):
    return search_config(tmp_path, kind, calls, model="openai:local-model", base_url=url, api="chat",
                         call_timeout_s=10.0, retry_seconds=5.0)


def test_evolve_children_come_from_a_real_client_at_the_mutators_temperature(tmp_path):
    edit = f"Pass 1 on every core.\n<<<<<<< SEARCH\n{OLD}=======\n{NEW}>>>>>>> REPLACE\n"
    with serve_loopback() as server:
        server.queued.extend([_reply(edit), _reply("I have no idea.")])
        run_dir = start_run(_config(tmp_path, "evolve", 2, server.url)).run_dir
        requests = server.agent_requests()
    assert len(requests) == 2 and {r.body.get("temperature") for r in requests} == {0.7}
    results = {e.candidate_id: e for e in read_run(run_dir) if e.event == "candidate_result"}
    assert sorted(r.verdict for k, r in results.items() if k != "seed") == ["edit_error", "ok"]
    calls = [e for e in read_run(run_dir) if e.event == "llm_call"]
    assert {e.model for e in calls} == {"openai:local-model"} and all(e.input_tokens == 42 for e in calls)


def test_best_of_n_agents_use_their_tools_through_a_real_client(tmp_path):
    kernel = (kernels_dir() / "szx" / "serial.c").read_text().replace(OLD, NEW)
    submit = _reply("Parallel pass 1.", [("write_file", {"path": "kernel.c", "content": kernel}),
                                         ("submit", {"action": "OpenMP pass 1"})])
    with serve_loopback() as server:
        server.queued.extend([submit, submit, _reply("done"), _reply("done")])
        outcome = start_run(_config(tmp_path, "best-of-n", 4, server.url))
    events = read_run(outcome.run_dir)
    ends = {e.candidate_id: e.stop_reason for e in events if e.event == "candidate_result"}
    assert set(ends) == {"a01", "a02"}
    assert sum(e.event == "llm_call" for e in events) == 4
    assert [e for e in events if e.event == "run_end"][0].input_tokens == 4 * 42
    assert outcome.best is not None
