"""Faults real models and servers produce, injected by a loopback OpenAI-compatible server and met
through the real langchain-openai client: each ends in its documented state."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from szagents.models.calls import ProviderError
from szagents.roles.team import Team
from szagents.run import RunConfig, start_run
from szagents.tasks.task import Budgets
from szagents.trajectory import read_run
from tests.models.loopback import Fault, chat_completion_body, serve_loopback

ERROR = {"error": {"message": "try later", "type": "server_error"}}
FAST = {"call_timeout_s": 2.0, "retry_seconds": 5.0}
TEAMS = {"single": Team.single("openai:local-model"), "multi": Team.multi("openai:local-model")}


def _reply(*calls: tuple[str, str], content: str = "working") -> dict:
    """A chat completion with the given (tool name, raw JSON arguments) calls; none: a final answer."""
    body = chat_completion_body("local-model", tool_call=bool(calls))
    message = body["choices"][0]["message"]
    message["content"] = content
    if calls:
        message["tool_calls"] = [{"id": f"c{i}", "type": "function", "function": {"name": n, "arguments": a}}
                                 for i, (n, a) in enumerate(calls)]
    return body


DONE = (200, _reply(content="done"), {})
CUT_OFF = ("write_file", '{"path": "kernel.c", "content": "#include <stdint.h>\\nint sz_compress(')


def _run(tmp_path: Path, server, *, task: str = "szx-optimize-cpu", team: Team | None = None, **changes):
    config = RunConfig(task=task, team=team or Team.single("openai:local-model"), tier="expert", runs_dir=tmp_path,
                       quick=True, run_id="run", base_url=server.url, **{**FAST, **changes})
    return start_run(config)


def _events(run_dir: Path, kind: str) -> list:
    return [e for e in read_run(run_dir) if e.event == kind]


@pytest.mark.slow
@pytest.mark.parametrize("shape", sorted(TEAMS))
def test_invalid_tool_json_goes_back_to_the_model_and_a_run_of_them_stops(tmp_path, shape):
    """Cut-off JSON arguments come back as a tool error (logged), count as iterations, and 3 in a row stop the run."""
    with serve_loopback() as server:
        server.queued.extend([(200, _reply(CUT_OFF), {})] * 3)
        outcome = _run(tmp_path, server, team=TEAMS[shape])
        second = server.agent_requests()[1].body
    assert outcome.state["stop_reason"] == "invalid_tool_calls" and outcome.state["iterations"] == {"optimizer": 3}
    tool_messages = [m for m in second["messages"] if m["role"] == "tool"]
    assert tool_messages and "not valid JSON" in tool_messages[-1]["content"]
    assert len([e for e in _events(outcome.run_dir, "error") if e.kind == "invalid_tool_call"]) == 3
    assert _events(outcome.run_dir, "run_end")[-1].stop_reason == "invalid_tool_calls"


@pytest.mark.slow
def test_model_fixes_its_invalid_call_and_the_run_goes_on(tmp_path):
    """After one invalid call the model answers normally: the streak resets, the run ends by the agent's stop."""
    with serve_loopback() as server:
        server.queued.extend([(200, _reply(CUT_OFF), {}), (200, _reply(("list_files", "{}")), {}), DONE])
        outcome = _run(tmp_path, server)
    assert outcome.state["stop_reason"] == "agent_stop" and outcome.state["iterations"] == {"optimizer": 3}
    assert [e.ok for e in _events(outcome.run_dir, "tool_call")] == [True]


@pytest.mark.slow
def test_unknown_tool_and_refused_submit_are_failed_results(tmp_path):
    """An unknown tool and a submit with nothing to validate are ok=false results; no revision is attempted."""
    with serve_loopback() as server:
        server.queued.extend([(200, _reply(("frobnicate", "{}"), ("submit", '{"action": ""}')), {}), DONE])
        outcome = _run(tmp_path, server)
    calls = _events(outcome.run_dir, "tool_call")
    assert [(c.tool, c.ok) for c in calls] == [("frobnicate", False), ("submit", False)]
    assert "unknown tool" in calls[0].output and len(outcome.state["revisions"]) == 1  # the baseline only
    assert outcome.state["stop_reason"] == "agent_stop"


@pytest.mark.slow
@pytest.mark.parametrize("fault,error_class", [
    ((429, ERROR, {"retry-after": "0.2"}), "rate_limit"),
    ((503, ERROR, {}), "server"),
    (Fault("malformed"), "bad_response"),
    ((200, {**_reply(), "choices": []}, {}), "bad_response"),
    (Fault("drop"), "network"),
    (Fault("hang"), "timeout"),
])
@pytest.mark.parametrize("shape", sorted(TEAMS))
def test_transient_fault_is_retried_and_shown(tmp_path, fault, error_class, shape):
    """A transient fault is retried (a model_retry event says which class) and the run goes on (both graphs)."""
    with serve_loopback() as server:
        server.queued.extend([fault, DONE])
        outcome = _run(tmp_path, server, team=TEAMS[shape])
    retries = [e for e in _events(outcome.run_dir, "error") if e.kind == "model_retry"]
    assert [e.error_class for e in retries] == [error_class]
    assert outcome.state["stop_reason"] == "agent_stop" and outcome.state["iterations"] == {"optimizer": 1}


@pytest.mark.slow
def test_slow_answer_within_the_timeout_is_used(tmp_path):
    """An answer slower than usual but within the per-call timeout is taken, without a retry."""
    with serve_loopback() as server:
        server.queued.extend([Fault("slow", delay_s=0.5, body=_reply(content="done"))])
        outcome = _run(tmp_path, server)
    assert outcome.state["stop_reason"] == "agent_stop" and not _events(outcome.run_dir, "error")


@pytest.mark.slow
@pytest.mark.parametrize("shape", sorted(TEAMS))
def test_persistent_server_error_ends_the_run_with_its_class(tmp_path, shape):
    """5xx past the retry budget: ProviderError(server), a run_end with error_class, state checkpointed."""
    with serve_loopback() as server:
        server.queued.extend([(500, ERROR, {})] * 20)
        start = time.perf_counter()
        with pytest.raises(ProviderError) as caught:
            _run(tmp_path, server, retry_seconds=1.5, team=TEAMS[shape])
        elapsed = time.perf_counter() - start
    assert caught.value.error_class == "server" and elapsed < 30
    end = _events(tmp_path / "run", "run_end")[-1]
    assert (end.stop_reason, end.error_class) == ("provider_error", "server")
    assert len(_events(tmp_path / "run", "revision")) == 1  # the baseline was kept


@pytest.mark.slow
@pytest.mark.parametrize("shape", sorted(TEAMS))
def test_hung_server_ends_as_budget_wall_near_the_wall_budget(tmp_path, shape):
    """A hung answer cannot hold the run: with wall=W the run ends as budget_wall within seconds of W."""
    with serve_loopback() as server:
        server.queued.extend([Fault("hang")] * 5)
        start = time.perf_counter()
        outcome = _run(tmp_path, server, budgets=Budgets(wall_seconds=6), call_timeout_s=60, retry_seconds=60,
                       team=TEAMS[shape])
        elapsed = time.perf_counter() - start
    assert outcome.state["stop_reason"] == "budget_wall"
    assert outcome.state["elapsed_seconds"] < 6 + 2 and elapsed < 6 + 15
    assert _events(outcome.run_dir, "run_end")[-1].stop_reason == "budget_wall"


@pytest.mark.parametrize("status,error_class", [(401, "auth"), (404, "model_not_found")])
def test_preflight_failure_leaves_no_run_folder(tmp_path, status, error_class):
    """A rejected key or unknown model fails the pre-flight: classified, nothing spent, no run folder."""
    with serve_loopback() as server:
        server.preflight.append((status, {"error": {"message": "no"}}, {}))
        with pytest.raises(ProviderError) as caught:
            _run(tmp_path, server)
        assert not server.agent_requests()
    assert caught.value.error_class == error_class and not (tmp_path / "run").exists()


@pytest.mark.slow
def test_responses_api_against_a_chat_only_server_fails_preflight_and_api_chat_fixes_it(tmp_path):
    """A codex-named model routes to /v1/responses; a chat-only server fails the pre-flight; --api chat works."""
    with serve_loopback() as server:
        server.chat_only = True
        with pytest.raises(ProviderError) as caught:
            _run(tmp_path, server, team=Team.single("openai:local-codex"))
        server.queued.append(DONE)
        outcome = _run(tmp_path, server, team=Team.single("openai:local-codex"), api="chat")
    assert caught.value.error_class == "model_not_found" and outcome.state["stop_reason"] == "agent_stop"


@pytest.mark.slow
def test_multi_agent_invalid_json_and_reviewer_tokens(tmp_path):
    """Multi-agent: the translator's invalid call is a tool error; the reviewer's tokens count in the totals."""
    source = (Path(__file__).parents[2] / "kernels" / "szx" / "serial.c").read_text()
    broken = json.dumps({"path": "kernel.c", "content": source.replace("return 0;", "return 0", 1)})
    team = Team.multi("openai:local-model", reviewer="openai:local-model")
    with serve_loopback() as server:
        server.queued.extend([(200, _reply(CUT_OFF), {}), (200, _reply(("write_file", broken), ("submit", '{"action": "x"}')), {}),
                              (200, _reply(content="missing semicolon"), {}), DONE])
        outcome = _run(tmp_path, server, task="szx-translate-cpu", team=team)
    calls = _events(outcome.run_dir, "llm_call")
    assert [c.role for c in calls] == ["translator", "translator", "validator", "translator"]
    assert outcome.state["input_tokens"] == sum(c.input_tokens for c in calls) == 4 * 42
    end = _events(outcome.run_dir, "run_end")[-1]
    assert end.iterations == {"translator": 3, "validator": 1} and end.input_tokens == 4 * 42
