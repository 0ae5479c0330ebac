"""Replay reproduces a multi-agent run by default: each role replays its own recorded calls."""

from __future__ import annotations

import pytest

from szagents.roles.team import Team
from szagents.run import RunConfig, start_run
from szagents.run.models import replay_team
from szagents.trajectory import read_run

pytestmark = pytest.mark.slow  # a multi-agent run and its replay: 42 s


def test_multi_agent_replay_by_default(tmp_path):
    """replay:<run> alone rebuilds the recorded team; the replay makes the same calls, revisions and totals."""
    team = Team.multi("scripted:translate_szx_cpu", "scripted:optimize_szx_cpu")
    base = {"task": "szx-translate-cpu", "tier": "expert", "runs_dir": tmp_path, "quick": True}
    original = start_run(RunConfig(team=team, run_id="original", **base))
    replay = replay_team(f"replay:{original.run_dir}")
    assert replay is not None and replay.name == "multi" and replay.reviewer is None
    replayed = start_run(RunConfig(team=replay, run_id="replayed", **base))
    roles = lambda run: [e.role for e in read_run(run.run_dir) if e.event == "llm_call"]  # noqa: E731
    assert roles(replayed) == roles(original) == ["translator", "translator", "optimizer", "optimizer"]
    assert [r["sha256"] for r in replayed.state["revisions"]] == [r["sha256"] for r in original.state["revisions"]]
    assert (replayed.state["input_tokens"], replayed.state["iterations"]) == (original.state["input_tokens"],
                                                                              original.state["iterations"])
