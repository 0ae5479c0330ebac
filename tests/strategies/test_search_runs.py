"""best-of-n and evolve end to end on the cpu backend with scripted models: budgets, SIGKILL + resume, replay."""

from __future__ import annotations

import pytest

from szagents.run.graph_run import resume_run, start_run
from szagents.trajectory import FORMAT_VERSION, read_run
from tests.strategies.runs import calls_of, code_by_candidate, killed_after, lineage, search_config

pytestmark = pytest.mark.slow

CALLS = {"evolve": 6, "best-of-n": 6}


@pytest.mark.parametrize("kind", ["evolve", "best-of-n"])
def test_a_search_killed_mid_run_resumes_without_paying_a_call_twice(tmp_path, kind):
    """SIGKILL after the second call; the resume finishes on budget, each (candidate, role, iteration) paid once."""
    config = search_config(tmp_path, kind, CALLS[kind])
    run_dir = killed_after(config, calls=3)
    before = calls_of(run_dir)
    assert 3 <= sum(before.values()) < CALLS[kind], "the kill should land mid-search"
    outcome = resume_run(run_dir)
    after = calls_of(run_dir)
    assert max(after.values()) == 1, f"a call was made twice: {after}"
    assert sum(after.values()) == CALLS[kind] and set(before) <= set(after)
    events = read_run(run_dir)
    ends = [e for e in events if e.event == "run_end"]
    assert len(ends) == 1 and ends[0].stop_reason == "budget_iterations"
    assert ends[0].input_tokens == sum(e.input_tokens for e in events if e.event == "llm_call")
    assert [e.resumed for e in events if e.event == "run_start"] == [False, True]
    assert outcome.best is not None and (run_dir / "best" / "kernel.c").is_file()


@pytest.mark.parametrize("kind", ["evolve", "best-of-n"])
def test_a_replay_reproduces_the_lineage_and_every_candidates_code(tmp_path, kind):
    """replay:<run> re-executes the recorded replies on the recorded parents: same candidates, same files."""
    original = start_run(search_config(tmp_path, kind, CALLS[kind], run_id="original")).run_dir
    replay = start_run(search_config(tmp_path, kind, CALLS[kind], model=f"replay:{original}", run_id="replay")).run_dir
    assert lineage(replay) == lineage(original)
    assert code_by_candidate(replay) == code_by_candidate(original)
    assert calls_of(replay) == calls_of(original)


def test_evolve_logs_parents_inspirations_results_and_migrations(tmp_path):
    run_dir = start_run(search_config(tmp_path, "evolve", 8, screen=True)).run_dir
    events = read_run(run_dir)
    planned = [e for e in events if e.event == "candidate"]
    results = {e.candidate_id: e for e in events if e.event == "candidate_result"}
    assert planned[0].candidate_id == "seed" and set(results) == {e.candidate_id for e in planned}
    children = planned[1:]
    assert all(e.parent in {p.candidate_id for p in planned} for e in children)
    assert {results[e.candidate_id].verdict for e in children} >= {"compile_error", "bound_violation", "ok"}
    migrations = [e for e in events if e.event == "migration"]
    scheduled = sorted({e.generation for e in children if e.generation % 2 == 0})  # every 2nd generation, moves or not
    assert scheduled and [m.generation for m in migrations] == scheduled
    ids = {p.candidate_id for p in planned}
    assert all(pid in ids and (source + 1) % 2 == target for m in migrations for pid, source, target in m.moves)
    screened = [e for e in events if e.event == "benchmark" and e.by == "screen"]
    assert screened, "correct children are screened before the full benchmark"
    assert all(e.format_version == FORMAT_VERSION for e in events)
