"""Task integrity in real runs: the ratio floor, free vs strict format, reused results of identical files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from szagents.backends.registry import get_backend
from szagents.errors import ModelConfigError
from szagents.models.replay import OTHER_TASK_ENV, check_replay_task
from szagents.roles.floor import REFERENCE_RATIOS_FILE
from szagents.roles.team import Team
from szagents.run import RunConfig, start_run
from szagents.tasks.catalog import get_task
from szagents.tasks.evaluate import build_problems, evaluate, kernel_spec
from szagents.trajectory import TrajectoryWriter, read_run
from szagents.trajectory.events import LlmCall, RunStart

SCRIPTS = Path(__file__).parent / "scripts"
FIXTURES = Path(__file__).parent / "fixtures"


def _run(tmp_path: Path, script: str, task: str = "szx-optimize-cpu"):
    config = RunConfig(task=task, team=Team.single(f"scripted:{SCRIPTS / script}"), tier="expert",
                       runs_dir=tmp_path, quick=True, run_id="run")
    return start_run(config)


# a quick run benchmarks the task file's quick dataset (a quarter of the climate field)
BENCH_CASE = "benchmark:climate:900x1800@rel=0.001"


def _revision_events(run_dir: Path) -> list:
    return [e for e in read_run(run_dir) if e.event == "revision"]


@pytest.mark.slow
def test_memcpy_is_a_ratio_regression_and_never_best(tmp_path):
    """A memcpy 'compressor' passes the bound but not the floor: ratio_regression, shown with its numbers, never best."""
    outcome = _run(tmp_path, "memcpy.json")
    baseline, memcpy = outcome.state["revisions"]
    assert baseline["verdict"] == "ok" and outcome.state["best"] == 1
    assert memcpy["verdict"] == "ratio_regression" and not memcpy["correct"]
    assert memcpy["ratio"] == pytest.approx(1.0) and memcpy["compress_gbps"] > 0 and memcpy["decompress_gbps"] > 0
    event = _revision_events(outcome.run_dir)[1]
    assert event.verdict == "ratio_regression" and not event.is_best and "below the task's floor" in event.detail
    floor_case = event.detail.split("]")[0].lstrip("[")
    stored = json.loads((outcome.run_dir / "revisions" / "001" / "revision.json").read_text())["case_ratios"]
    assert floor_case in stored and BENCH_CASE in stored
    end = [e for e in read_run(outcome.run_dir) if e.event == "run_end"][-1]
    assert end.best_revision == 1 and end.best_ratio == pytest.approx(baseline["ratio"])


@pytest.mark.slow
def test_memcpy_fails_a_translation_against_the_reference_codec(tmp_path):
    """Without a baseline revision (a translation), the floor is half the reference codec's ratio per case.

    (On szp tasks a memcpy does not even fit: the stream capacity is below 4n bytes, so it is error_status.)
    """
    outcome = _run(tmp_path, "memcpy.json", task="szx-translate-cpu")
    (only,) = outcome.state["revisions"]
    assert only["verdict"] == "ratio_regression" and outcome.state["best"] is None
    reference = json.loads((outcome.run_dir / REFERENCE_RATIOS_FILE).read_text())
    assert reference[BENCH_CASE] > 2 and all(v > 0 for v in reference.values())


@pytest.mark.slow
def test_free_format_change_that_keeps_the_ratio_passes(tmp_path):
    """A private stream format with the reference's ratio is correct under the default free-format policy."""
    outcome = _run(tmp_path, "xor_format.json")
    baseline, changed = outcome.state["revisions"]
    assert changed["verdict"] == "ok" and changed["correct"]
    # Each benchmark's ratio is its timed calls' own (inputs drawn at random per run): equal within 1 %.
    assert changed["ratio"] == pytest.approx(baseline["ratio"], rel=1e-2)


def test_strict_format_rejects_the_same_format_change(tmp_path):
    """The same kernel fails a strict (byte-identical) task: wrong_output, through the real cpu harness."""
    task = get_task("szx-optimize-cpu")
    work = tmp_path / "w"
    work.mkdir()
    (work / "szx_inner.h").write_text((task.kernel.folder / "serial.c").read_text())
    (work / "kernel.c").write_text((FIXTURES / "xor_format.c").read_text())
    problems = build_problems(task.kernel.validation.model_copy(update={"datasets": ("climate:360x720",)}))
    sources = [work / "kernel.c", work / "szx_inner.h"]
    free = evaluate(get_backend("cpu"), sources, kernel_spec(task.kernel, None, False), work, problems)
    strict = evaluate(get_backend("cpu"), sources, kernel_spec(task.kernel, None, True), work, problems)
    assert free.correct and strict.validation.verdict.value == "wrong_output"


@pytest.mark.slow
def test_identical_files_reuse_the_earlier_result(tmp_path):
    """Resubmitting the starting code is not compiled or measured again, is not a new best and is not rolled back."""
    outcome = _run(tmp_path, "resubmit.json")
    first, again = outcome.state["revisions"]
    assert again["reused_from"] == 1 and again["sha256"] == first["sha256"] and outcome.state["best"] == 1
    assert (again["compress_gbps"], again["ratio"]) == (first["compress_gbps"], first["ratio"])
    events = read_run(outcome.run_dir)
    assert sum(1 for e in events if e.event == "validation" and e.by == "validator") == 1
    assert not [e for e in events if e.event in ("rollback", "comparison")]
    told = [str(m.content) for m in outcome.state["conversations"]["agent"]]
    verdict = next(text for text in told if "not compiled or measured again" in text)
    assert verdict.startswith("Revision 2 has exactly the files of revision 1, so it was not compiled or measured "
                              "again; its result is reused. It is the code of revision 1, the best so far (")
    assert verdict.endswith("); the best stays revision 1. Change the code before you submit again.")


def _recording(folder: Path, task_id: str) -> Path:
    """A run folder whose trajectory starts a run of task_id and holds one LLM call."""
    folder.mkdir(parents=True)
    with TrajectoryWriter(folder / "trajectory.jsonl", "rec") as writer:
        writer.emit(RunStart(run_id="rec", task_id=task_id, kernel="szx", mode="optimize", target="cpu",
                             variant="default", team="single", tier="expert", models={"agent": "scripted:demo"},
                             budgets={}, szagents_version="test"))
        writer.emit(LlmCall(run_id="rec", role="agent", model="scripted:demo", iteration=1, latency_s=0.0,
                            request_messages=2, response={"content": "stop", "tool_calls": []}))
    return folder


def test_replay_on_another_task_is_refused(tmp_path, monkeypatch):
    """A recording of szx-optimize-cpu cannot drive szx-translate-cpu: a clear error naming both; the env var warns."""
    recording = _recording(tmp_path / "rec", "szx-optimize-cpu")
    with pytest.raises(ModelConfigError, match="recorded task 'szx-optimize-cpu', not 'szx-translate-cpu'"):
        start_run(RunConfig(task="szx-translate-cpu", team=Team.single(f"replay:{recording}"), runs_dir=tmp_path / "runs",
                            quick=True, run_id="other"))
    check_replay_task(f"replay:{recording}#agent", "szx-optimize-cpu")  # its own task: fine
    monkeypatch.setenv(OTHER_TASK_ENV, "1")
    with pytest.warns(UserWarning, match="recorded task 'szx-optimize-cpu'"):
        check_replay_task(f"replay:{recording}", "szp-optimize-cpu")
