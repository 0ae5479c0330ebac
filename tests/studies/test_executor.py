"""The local executor: a study-wide cost budget stops launches, provider limits cap runs at once,
starts that failed before their first checkpoint are started over, failures are retried then reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from szagents.models.pricing import ENV_VAR as PRICES_VAR
from szagents.studies.attempt import has_checkpoint, run_or_resume
from szagents.studies.local import LocalExecutor
from szagents.studies.plan import plan_study
from szagents.studies.grid import load_study
from tests.studies.conftest import SCRIPT, events, ts, write_study

CHEAP = "latency:0.3:scripted:hello"  # 3 LLM calls, no compile or benchmark


def _plan(tmp_path: Path, **kwargs):
    return plan_study(load_study(write_study(tmp_path, tasks=("szx-translate-cpu",), model=CHEAP, **kwargs)))


def _window(run_dir: Path) -> tuple:
    stream = events(run_dir)
    return ts(stream[0]["ts"]), ts(stream[-1]["ts"])


def _overlapping(plan) -> int:
    windows = sorted(_window(r.run_dir) for r in plan.ledger.records.values())
    return sum(b[0] < a[1] for a, b in zip(windows, windows[1:]))


@pytest.mark.slow
def test_cost_budget_stops_launching_new_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """At $1000 per million tokens the first run spends past a $0.01 budget: it finishes, the rest are skipped."""
    prices = tmp_path / "prices.toml"
    prices.write_text('["latency:*"]\ninput_per_mtok = 1000\noutput_per_mtok = 1000\n')
    monkeypatch.setenv(PRICES_VAR, str(prices))
    plan = _plan(tmp_path, repeats=1, tiers=("user",), teams=("single", "multi"))
    LocalExecutor(1, cost_budget_usd=0.01).run(plan.jobs(), plan.ledger, slots=str(tmp_path / "slots"))
    statuses = [r.status for r in plan.ledger.records.values()]
    assert statuses == ["done", "skipped"] and plan.ledger.spent_usd() > 0.01
    end = next(e for e in events(next(iter(plan.ledger.records.values())).run_dir) if e["event"] == "run_end")
    assert end["cost_usd"] == pytest.approx((end["input_tokens"] + end["output_tokens"]) * 1000 / 1e6)


@pytest.mark.slow
def test_provider_limit_keeps_runs_of_one_provider_apart(tmp_path: Path):
    """4 runs, 4 threads: with `latency = 1` no two runs' trajectories overlap in time; without it they do."""
    limited = _plan(tmp_path / "a", repeats=1, tiers=("user", "expert"))
    LocalExecutor(4, limits={"latency": 1}).run(limited.jobs(), limited.ledger, slots=str(tmp_path / "slots"))
    assert [r.status for r in limited.ledger.records.values()] == ["done"] * 4 and _overlapping(limited) == 0
    free = _plan(tmp_path / "b", repeats=1, tiers=("user", "expert"))
    LocalExecutor(4).run(free.jobs(), free.ledger, slots=str(tmp_path / "slots"))
    assert _overlapping(free) > 0


@pytest.mark.slow
def test_a_start_that_never_checkpointed_is_started_over(tmp_path: Path):
    """A run folder with run.json and a torn trajectory but no checkpoint: the next attempt starts it afresh."""
    plan = _plan(tmp_path, repeats=1, tiers=("user",), teams=("single",))
    job = plan.jobs()[0]
    run_dir = Path(job.config.runs_dir) / job.config.run_id
    run_dir.mkdir(parents=True)
    (run_dir / "run.json").write_text(job.config.model_dump_json())
    (run_dir / "trajectory.jsonl").write_text('{"event": "run_start", "tor')
    assert not has_checkpoint(job.config, run_dir)
    outcome = run_or_resume(job.config)
    stream = events(run_dir)
    assert outcome.state["stop_reason"] == "agent_stop" and [e["event"] for e in stream].count("run_start") == 1
    assert not stream[0]["resumed"] and has_checkpoint(job.config, run_dir)


def test_failures_are_retried_then_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A model that cannot be built (no API key) fails each attempt: 1 + retries attempts, status failed."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    plan = plan_study(load_study(write_study(tmp_path, tasks=("szx-translate-cpu",), model="openai:gpt-5.1-codex",
                                             repeats=1, tiers=("user",), teams=("single",))))
    LocalExecutor(1, retries=2).run(plan.jobs(), plan.ledger, slots=str(tmp_path / "slots"))
    record = next(iter(plan.ledger.records.values()))
    assert record.status == "failed" and record.attempts == 3 and "OPENAI_API_KEY" in record.error
    assert not record.run_dir.exists()  # a failed start leaves no run folder (retried by the next study call)


class _Stop(Exception):
    """Stands for a kill between two nodes of a run."""


@pytest.mark.slow
def test_a_team_run_stopped_before_the_optimizer_resumes_to_its_end(tmp_path: Path):
    """A multi-agent run stopped after the validator's checkpoint (the optimizer next) is not taken for finished:
    resuming runs the optimizer and writes the run's end."""
    plan = plan_study(load_study(write_study(tmp_path, tasks=("szx-translate-cpu",), model=f"scripted:{SCRIPT}",
                                             repeats=1, tiers=("user",), teams=("multi",))))
    config = plan.jobs()[0].config

    def stop(event) -> None:
        if event.event == "node_enter" and event.node == "optimizer":
            raise _Stop()

    with pytest.raises(_Stop):
        run_or_resume(config, observer=stop)
    run_dir = Path(config.runs_dir) / config.run_id
    outcome = run_or_resume(config)
    stream = events(run_dir)
    assert not outcome.already_finished and [e["event"] for e in stream].count("run_end") == 1
    assert [e["resumed"] for e in stream if e["event"] == "run_start"] == [False, True]
    assert any(e["event"] == "node_enter" and e["node"] == "optimizer" for e in stream)
