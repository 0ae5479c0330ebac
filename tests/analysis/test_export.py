"""`szagents export`: a scripted cpu run, an MCP run and a two-run study as Inspect eval logs, read back with
inspect_ai.log's own reader and checked against the trajectories."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import pytest

if importlib.util.find_spec("inspect_ai") is None:
    pytest.skip("the inspect extra is not installed (pip install 'szagents[inspect]')", allow_module_level=True)

from szagents.roles.team import Team  # noqa: E402
from szagents.run import RunConfig, start_run  # noqa: E402
from szagents.tasks.task import Budgets  # noqa: E402
from szagents.trajectory import read_run  # noqa: E402

if TYPE_CHECKING:
    from inspect_ai.log import EvalLog
# inspect_ai (1.3 CPU-s to import) and szagents.analysis.export (which imports it) load in the tests, not here:
# every xdist worker collects this module and one runs its tests.

# Its module fixtures make a real cpu run, an MCP run and a study (3-12 s a test): one worker runs the module.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("export")]

ROOT = Path(__file__).parents[2]
SCRIPT = ROOT / "tests" / "studies" / "one_submission.json"


def _cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "szagents.cli", *args], capture_output=True, text=True, timeout=600,
                          cwd=ROOT, **kwargs)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    """A scripted cpu run (demo script, 3 LLM calls: baseline, a compile error, a bound violation) and an MCP run
    (a client writes, validates and submits the reference: tool calls, no LLM call)."""
    from tests.mcp.clients import served, write_validate_submit, http_session

    root = tmp_path_factory.mktemp("export-runs")
    start_run(RunConfig(task="szx-optimize-cpu", team=Team.single("scripted:demo"), tier="expert", runs_dir=root,
                        quick=True, run_id="cpu", budgets=Budgets(iterations=3)))
    with served(root, "mcp") as (run, url):
        async def agent():
            async with http_session(url, "export-client") as session:
                await write_validate_submit(session)

        anyio.run(agent)
    return root


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    """`szagents study`: one cell (szx-translate-cpu, a one-submission script) repeated twice."""
    from tests.studies.conftest import write_study

    folder = tmp_path_factory.mktemp("export-study")
    path = write_study(folder, repeats=2, concurrency=1, tasks=("szx-translate-cpu",), tiers=("user",),
                       teams=("single",), model=f"scripted:{SCRIPT}")
    done = _cli("study", str(path), env={**os.environ, "SZAGENTS_BENCH_SLOTS": str(folder / "slots")})
    assert done.returncode == 0, done.stdout + done.stderr
    return folder / "runs"


def _not_recorded() -> str:
    """What every export says it leaves out."""
    from szagents.analysis.export import NOT_RECORDED

    return NOT_RECORDED


def _export(tmp_path: Path, *paths: Path) -> tuple[subprocess.CompletedProcess, dict[str, EvalLog]]:
    """`szagents export PATHS --out tmp_path/logs`, and every log read back, by the name of its task's model."""
    from inspect_ai.log import read_eval_log

    done = _cli("export", *map(str, paths), "--out", str(tmp_path / "logs"))
    assert done.returncode == 0, done.stdout + done.stderr
    logs = [read_eval_log(str(path), resolve_attachments=True) for path in sorted((tmp_path / "logs").glob("*.eval"))]
    return done, {log.eval.model: log for log in logs}


def _check_sample(sample, run_dir: Path) -> None:
    """The sample's events, messages and score against the run's trajectory."""
    events = read_run(run_dir)
    calls = [e for e in events if e.event == "tool_call"]
    tools = [e for e in sample.events if e.event == "tool"]
    assert [(t.function, t.arguments, t.result, t.error is None) for t in tools] == \
        [(c.tool, c.args, c.output, c.ok) for c in calls]
    llm = [e for e in events if e.event == "llm_call"]
    models = [e for e in sample.events if e.event == "model"]
    assert [(m.role, m.output.usage.input_tokens, m.output.usage.output_tokens) for m in models] == \
        [(c.role, c.input_tokens, c.output_tokens) for c in llm]
    assert sum(u.total_tokens for u in sample.model_usage.values()) == sum(c.input_tokens + c.output_tokens for c in llm)
    revisions = [e for e in events if e.event == "revision"]
    steps = [e.score for e in sample.events if e.event == "score" and e.intermediate]
    assert [(s.metadata["number"], s.metadata["verdict"], s.value["correct"], s.value["compress_gbps"])
            for s in steps] == [(r.number, r.verdict, r.correct, r.compress_gbps) for r in revisions]
    end = next(e for e in events if e.event == "run_end")
    final = sample.scores["szagents"]
    assert (final.value["compress_gbps"], final.value["decompress_gbps"], final.value["ratio"]) == \
        (end.best_compress_gbps, end.best_decompress_gbps, end.best_ratio)
    assert final.answer == (f"revision {end.best_revision}" if end.best_revision else None)
    assert sample.metadata["szagents"]["stop_reason"] == end.stop_reason and sample.turn_count == len(llm)
    assert sample.metadata["szagents"]["left_out"] == []  # every line of the trajectory was read


def test_a_cpu_run_and_an_mcp_run_export_as_two_evals(runs, tmp_path):
    """One eval per configuration; samples, tool events, model events and scores match the trajectories; budgets
    are Inspect's limits; the run without LLM calls has tool events only; the CLI says what it left out."""
    done, logs = _export(tmp_path, runs)
    assert set(logs) == {"scripted/demo", "mcp/export-client/9.9"} and f"inspect view --log-dir {tmp_path / 'logs'}" in done.stdout
    assert f"left out: {_not_recorded()}" in done.stdout

    cpu = logs["scripted/demo"]
    (sample,) = cpu.samples
    assert cpu.eval.metadata["szagents"]["left_out"] == [_not_recorded()]
    assert cpu.status == "success" and cpu.eval.task == "szx-optimize-cpu" and sample.id == "cpu"
    assert (cpu.eval.config.turn_limit, sample.limit.type, sample.limit.limit) == (3, "turn", 3.0)
    assert cpu.eval.task_args == {"tier": "expert", "team": "single"} and sample.metadata["szagents"]["llm_calls"] == 3
    assert [m.role for m in sample.messages[:3]] == ["user", "user", "assistant"]  # the task, the baseline's verdict
    assert cpu.results.scores[0].metrics["success_rate"].value == 0.0  # no correct revision of its own
    _check_sample(sample, runs / "cpu")

    mcp = logs["mcp/export-client/9.9"]
    (sample,) = mcp.samples
    assert sample.model_usage == {} and not [e for e in sample.events if e.event == "model"]
    assert [m.role for m in sample.messages] == ["user", "user"] and sample.metadata["szagents"]["llm_calls"] == 0
    assert sample.messages[1].metadata["from"] == "validator"  # its verdict on the submission; no assistant turns
    assert mcp.results.scores[0].metrics["success_rate"].value == 1.0
    _check_sample(sample, runs / "mcp")


def test_a_two_run_study_is_one_eval_with_two_samples(study, tmp_path):
    """The study's two repeats of one cell: one eval, a sample per run, its medians over both."""
    _, logs = _export(tmp_path, study)
    (log,) = logs.values()
    run_dirs = sorted(p.parent for p in study.glob("*/trajectory.jsonl"))
    assert sorted(str(s.id) for s in log.samples) == [d.name for d in run_dirs] and len(run_dirs) == 2
    assert log.eval.dataset.samples == 2 and log.results.total_samples == 2
    metrics = log.results.scores[0].metrics
    assert metrics["success_rate"].value == 1.0 and metrics["median_compress_gbps"].metadata == {"n": 2}
    for sample in log.samples:
        _check_sample(sample, study / str(sample.id))


def test_json_format_reads_back_the_same(runs, tmp_path):
    """--format json writes Inspect's JSON log, which the reader loads like the .eval one."""
    done = _cli("export", str(runs / "mcp"), "--out", str(tmp_path), "--format", "json")
    assert done.returncode == 0, done.stderr
    (path,) = tmp_path.glob("*.json")
    from inspect_ai.log import read_eval_log

    log = read_eval_log(str(path))
    assert json.loads(path.read_text())["eval"]["task"] == "szx-translate-cpu" and len(log.samples) == 1


def test_a_torn_last_line_is_named_in_what_was_left_out(runs, tmp_path):
    """A trajectory whose last write was cut short: the export says which run lost what, in the log and on stdout."""
    import shutil

    torn = tmp_path / "torn"
    shutil.copytree(runs / "mcp", torn)
    with open(torn / "trajectory.jsonl", "a") as file:
        file.write('{"event": "tool_call", "run_id": "mcp", "se')
    done, logs = _export(tmp_path, torn)
    (log,) = logs.values()
    said = log.samples[0].metadata["szagents"]["left_out"]
    assert len(said) == 1 and said[0].startswith("torn: ") and "truncated last line" in said[0]
    assert log.eval.metadata["szagents"]["left_out"] == [_not_recorded(), said[0]] and f"left out: {said[0]}" in done.stdout
