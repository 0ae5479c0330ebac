"""kill -9 at each kind of step, then resume: no LLM call is logged or billed twice; the run's end
record, the trajectory and a replay agree."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from szagents.roles.team import Team
from szagents.run import RunConfig, resume_run, start_run
from szagents.trajectory import read_run
from tests.models.loopback import Fault, chat_completion_body, serve_loopback

pytestmark = pytest.mark.slow  # each kills and resumes a real run: 4-11 s a test

SCRIPT = Path(__file__).parent / "scripts" / "steps.json"
ROOT = Path(__file__).parents[2]


def _child(runs: Path, model: str, base_url: str | None = None) -> subprocess.Popen:
    """A run of szx-optimize-cpu in a child process (its own session, so it can be killed whole)."""
    code = (
        "from pathlib import Path\nfrom szagents.roles.team import Team\nfrom szagents.run.config import RunConfig\n"
        "from szagents.run.graph_run import start_run\n"
        f"start_run(RunConfig(task='szx-optimize-cpu', team=Team.single({model!r}), runs_dir=Path({str(runs)!r}),"
        f" quick=True, run_id='run', base_url={base_url!r}, call_timeout_s=30))\n"
    )
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, start_new_session=True)


def _last(log: Path) -> tuple[dict, int]:
    """The last whole event of the log and the number of LLM calls so far."""
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.endswith("}")] if log.exists() else []
    return (lines[-1] if lines else {}), sum(1 for e in lines if e["event"] == "llm_call")


def _kill_when(child: subprocess.Popen, log: Path, hit: Callable[[dict, int], bool]) -> None:
    deadline = time.time() + 120
    while time.time() < deadline and child.poll() is None:
        if hit(*_last(log)):
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            return
        time.sleep(0.005)
    pytest.fail("the run ended before the step to kill was reached")


def _check_totals(run_dir: Path) -> list:
    """Each (role, iteration) logged once; the last run_end's totals are the sums of the logged calls."""
    events = read_run(run_dir)
    calls = [e for e in events if e.event == "llm_call"]
    keys = [(c.role, c.iteration) for c in calls]
    assert len(keys) == len(set(keys)), f"an LLM call was logged twice: {keys}"
    end = [e for e in events if e.event == "run_end"][-1]
    assert sum(end.iterations.values()) == len(calls)
    assert end.input_tokens == sum(c.input_tokens for c in calls)
    assert end.output_tokens == sum(c.output_tokens for c in calls)
    return calls


# Harness events are written when the harness child returns, and that child both validates and
# benchmarks; so "tool" is the benchmark tool's child (validate + benchmark) running after the reply
# was logged, and "validator" the validator's child validating the submission (which breaks the bound:
# nothing is benchmarked or compared after it, so the run's length does not depend on the machine's load).
STEPS = {
    "tool": lambda e, n: n == 1 and e.get("event") == "llm_call",
    "validator": lambda e, n: n == 2 and e.get("event") == "node_enter" and e.get("node") == "validator",
}


@pytest.mark.parametrize("step", sorted(STEPS))
def test_kill_during_a_step_then_resume_counts_each_call_once(tmp_path, step):
    """SIGKILL inside a tool, a validation or a benchmark; resume finishes with every call once; replay agrees."""
    child = _child(tmp_path, f"scripted:{SCRIPT}")
    _kill_when(child, tmp_path / "run" / "trajectory.jsonl", STEPS[step])
    outcome = resume_run(tmp_path / "run")
    assert outcome.state["stop_reason"] == "agent_stop"
    calls = _check_totals(outcome.run_dir)
    assert len(calls) == 4 and outcome.state["iterations"] == {"optimizer": 4}
    replayed = start_run(RunConfig(task="szx-optimize-cpu", team=Team.single(f"replay:{outcome.run_dir}"),
                                   runs_dir=tmp_path, quick=True, run_id="replayed"))
    assert _check_totals(replayed.run_dir) and replayed.state["iterations"] == outcome.state["iterations"]
    assert replayed.state["input_tokens"] == outcome.state["input_tokens"]


def test_kill_during_an_llm_call_then_resume(tmp_path):
    """SIGKILL while the server is still answering; the resumed run asks again and logs that call once."""
    with serve_loopback() as server:
        server.queued.extend([(200, chat_completion_body("m"), {}), Fault("hang")])
        child = _child(tmp_path, "openai:local-model", server.url)
        deadline = time.time() + 120
        while len(server.agent_requests()) < 2 and time.time() < deadline:
            time.sleep(0.01)
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        server.queued.append((200, chat_completion_body("m", tool_call=False), {}))
        outcome = resume_run(tmp_path / "run")
    calls = _check_totals(outcome.run_dir)
    assert len(calls) == 2 and outcome.state["stop_reason"] == "agent_stop"
