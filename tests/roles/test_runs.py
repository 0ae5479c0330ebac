"""Agent runs end to end on the cpu backend: scripted and replayed models, real harness runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from langchain_core.messages import SystemMessage

from szagents.roles.team import Team
from szagents.run import RunConfig, resume_run, start_run
from szagents.tasks.task import Budgets
from szagents.trajectory import read_run

pytestmark = pytest.mark.slow  # real runs end to end, or the shared real runs (real_runs_made): 3-24 s a test

SCRIPTS = Path(__file__).parent / "scripts"
DEMO_VERDICTS = ["ok", "compile_error", "bound_violation", "ok", "ok", "ok"]


def _config(tmp_path: Path, **changes) -> RunConfig:
    base = {"task": "szx-optimize-cpu", "team": Team.single("scripted:demo"), "tier": "expert",
            "runs_dir": tmp_path, "quick": True, "run_id": "run"}
    return RunConfig(**{**base, **changes})


def test_demo_goes_through_every_route(demo_run):
    """The demo records baseline, compile error, bound violation, a fix, an optimization and a rolled-back regression."""
    revisions = demo_run.state["revisions"]
    assert [r["verdict"] for r in revisions] == DEMO_VERDICTS
    assert revisions[0]["action"] == "Baseline" and revisions[-1]["action"].startswith("Simplify")
    events = read_run(demo_run.run_dir)
    rollbacks = [e for e in events if e.event == "rollback"]
    assert [r.from_revision for r in rollbacks][-1] == 6 and rollbacks[-1].to_revision == demo_run.state["best"]
    assert demo_run.state["stop_reason"] == "agent_stop" and demo_run.state["iterations"] == {"optimizer": 7}
    assert demo_run.best["correct"] and (demo_run.run_dir / "best" / "kernel.c").exists()


def test_trajectory_logs_every_transition(demo_run):
    """seq is continuous, nodes enter and exit in pairs, LLM calls carry tokens, harness results are logged."""
    events = read_run(demo_run.run_dir)
    assert [e.seq for e in events] == list(range(len(events)))
    kinds = [e.event for e in events]
    assert kinds[0] == "run_start" and kinds[-2:] == ["run_end", "node_exit"]
    assert kinds.count("node_enter") == kinds.count("node_exit") > 0
    calls = [e for e in events if e.event == "llm_call"]
    assert len(calls) == 7 and all(c.input_tokens > 0 and c.output_tokens > 0 for c in calls)
    # every revision but the compile error is validated by the validator (the reuse of identical files is tested
    # with no_timing.json below and in test_integrity.py)
    assert sum(1 for e in events if e.event == "validation" and e.by == "validator") == 5
    assert "run_end" in kinds and sum(1 for k in kinds if k == "revision") == 6
    diffs = [e.diff for e in events if e.event == "revision"]
    assert diffs[0] == "" and "omp_get_max_threads" in diffs[1]


def test_crash_is_a_classified_revision(tmp_path):
    """A submitted kernel that segfaults becomes a `crash` revision and the run goes on."""
    outcome = start_run(_config(tmp_path, team=Team.single(f"scripted:{SCRIPTS / 'crash.json'}")))
    verdicts = [r["verdict"] for r in outcome.state["revisions"]]
    assert verdicts == ["ok", "crash"] and "SIGSEGV" in outcome.state["revisions"][1]["detail"]
    assert outcome.state["stop_reason"] == "agent_stop" and outcome.state["best"] == 1


def test_iteration_budget_stops_the_run(tmp_path):
    """With a budget of 3 LLM calls the run stops after the third, reporting budget_iterations."""
    outcome = start_run(_config(tmp_path, budgets=Budgets(iterations=3)))
    assert outcome.state["stop_reason"] == "budget_iterations"
    assert sum(outcome.state["iterations"].values()) == 3
    assert [r["verdict"] for r in outcome.state["revisions"]] == DEMO_VERDICTS[:3]


def test_multi_agent_team_keeps_separate_conversations(tmp_path):
    """translator and optimizer each speak in their own conversation, with their own system prompt."""
    team = Team.multi("scripted:translate_szx_cpu", "scripted:optimize_szx_cpu")
    outcome = start_run(_config(tmp_path, task="szx-translate-cpu", team=team))
    conversations = outcome.state["conversations"]
    assert set(conversations) == {"translator", "optimizer"}
    assert all(isinstance(c[0], SystemMessage) for c in conversations.values())
    assert conversations["translator"][0].content != conversations["optimizer"][0].content
    roles = [e.role for e in read_run(outcome.run_dir) if e.event == "llm_call"]
    assert roles == ["translator", "translator", "optimizer", "optimizer"]
    assert [r["correct"] for r in outcome.state["revisions"]] == [True, True]


def test_replay_rebuilds_the_same_revisions(tmp_path):
    """replay:<run> re-issues the recorded responses, so the same files are rebuilt and re-validated (a run
    whose routes need no timing decision: its verdicts cannot depend on the machine's load)."""
    recorded = start_run(_config(tmp_path, team=Team.single(f"scripted:{SCRIPTS / 'no_timing.json'}"), run_id="recorded"))
    replayed = start_run(_config(tmp_path, team=Team.single(f"replay:{recorded.run_dir}"), run_id="replayed"))
    assert [r["sha256"] for r in replayed.state["revisions"]] == [r["sha256"] for r in recorded.state["revisions"]]
    verdicts = [r["verdict"] for r in replayed.state["revisions"]]
    assert verdicts == [r["verdict"] for r in recorded.state["revisions"]] == ["ok", "compile_error", "bound_violation", "ok"]
    assert replayed.state["revisions"][-1]["reused_from"] == 1


def test_resume_after_kill_finishes_the_run(tmp_path):
    """A run SIGKILLed after its second revision resumes from its SQLite checkpoint and finishes with every step."""
    script = SCRIPTS / "no_timing.json"  # compile error, bound violation, starting code again: no timing decision
    code = (
        "from pathlib import Path\nfrom szagents.roles.team import Team\nfrom szagents.run.config import RunConfig\n"
        "from szagents.run.graph_run import start_run\n"
        f"start_run(RunConfig(task='szx-optimize-cpu', team=Team.single('scripted:{script}'), runs_dir=Path({str(tmp_path)!r}),"
        " quick=True, run_id='run'))\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    log = tmp_path / "run" / "trajectory.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline and (not log.exists() or log.read_text().count('"event":"revision"') < 2):
        time.sleep(0.05)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    assert log.read_text().count('"event":"run_end"') == 0, "the run finished before it could be killed"
    outcome = resume_run(tmp_path / "run")
    rows = [(r["action"], r["verdict"]) for r in outcome.state["revisions"]]
    steps = [row for i, row in enumerate(rows) if i == 0 or row != rows[i - 1]]  # the step the kill cut may repeat
    assert [verdict for _, verdict in steps] == ["ok", "compile_error", "bound_violation", "ok"], rows
    assert outcome.state["revisions"][-1]["reused_from"] == 1 and outcome.state["stop_reason"] == "agent_stop"
    starts = [e for e in read_run(tmp_path / "run") if e.event == "run_start"]
    assert [s.resumed for s in starts] == [False, True]
    again = resume_run(tmp_path / "run")
    assert again.already_finished and again.state["revisions"] == outcome.state["revisions"]


def test_openai_client_drives_a_run_over_loopback(tmp_path):
    """A run with an openai: model talks to a loopback OpenAI-compatible server through the real client."""
    from tests.models.loopback import chat_completion_body, serve_loopback

    source = (Path(__file__).parents[2] / "kernels" / "szx" / "serial.c").read_text()
    first = chat_completion_body("local-model")
    first["choices"][0]["message"]["tool_calls"] = [
        {"id": "c1", "type": "function", "function": {"name": "write_file", "arguments": json.dumps({"path": "kernel.c", "content": source})}},
        {"id": "c2", "type": "function", "function": {"name": "submit", "arguments": json.dumps({"action": "same code"})}},
    ]
    with serve_loopback() as server:
        server.queued.extend([(200, first, {}), (200, chat_completion_body("local-model", tool_call=False), {})])
        outcome = start_run(_config(tmp_path, team=Team.single("openai:local-model"), base_url=server.url))
    assert [r["verdict"] for r in outcome.state["revisions"]] == ["ok", "ok"]
    bodies = [r.body for r in server.agent_requests()]
    assert {t["function"]["name"] for t in bodies[0]["tools"]} >= {"write_file", "submit", "validate"}
    assert bodies[0]["messages"][0]["role"] == "system"
    assert any(m["role"] == "tool" for m in bodies[1]["messages"])
    assert outcome.state["input_tokens"] == 84 and outcome.state["stop_reason"] == "agent_stop"


def test_custom_graph_composed_from_parts(tmp_path):
    """examples/custom_graph.py wires translator + validator to stop at the first correct revision; the run_end
    and the report's Stop column name that rule (first_correct), not 'unknown'."""
    from szagents.analysis.loading.runs import load_runs
    from szagents.analysis.tables.outcomes import summary_table

    import runpy

    build = runpy.run_path(str(Path(__file__).parents[2] / "examples" / "custom_graph.py"))["build"]
    config = _config(tmp_path, task="szx-translate-cpu", team=Team.multi("scripted:translate_szx_cpu"))
    outcome = start_run(config, graph=build())
    assert outcome.state["best"] == 1 and len(outcome.state["revisions"]) == 1
    assert outcome.state["stop_reason"] is None and outcome.state["iterations"] == {"translator": 2}
    assert [e.stop_reason for e in read_run(outcome.run_dir) if e.event == "run_end"] == ["first_correct"]
    summary = summary_table(load_runs([outcome.run_dir])).to_markdown(tmp_path)
    assert summary.splitlines()[4].endswith("| first_correct |")
