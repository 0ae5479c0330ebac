"""The OpenEvolve evaluator entry scores candidates with the sandboxed harness (real gcc, quick suites)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

pytest.importorskip("openevolve", reason="the openevolve extra is not installed: pip install 'szagents[openevolve]'")

from openevolve.config import EvaluatorConfig  # noqa: E402
from openevolve.evaluation_result import EvaluationResult  # noqa: E402
from openevolve.evaluator import Evaluator as OpenEvolveEvaluator  # noqa: E402

from szagents.errors import TaskError, UnknownSpecError  # noqa: E402
from szagents.interop.openevolve import TaskEvaluator, main, write_evaluator  # noqa: E402
from szagents.tasks.catalog import get_task  # noqa: E402

TASK = "szx-optimize-cpu"
START = get_task(TASK).kernel.source_path(get_task(TASK).source).read_text()

# The starting code with its decompressor renamed, wrapped by one that shifts every value by 3 eb after decoding.
OFF_BY_3EB = "#define sz_decompress start_decompress\n" + START + """
#undef sz_decompress
int sz_decompress(const uint8_t *in, size_t in_bytes, size_t n, float eb, float *out, void *stream)
{
    int status = start_decompress(in, in_bytes, n, eb, out, stream);
    for (size_t i = 0; i < n; i++)
        out[i] += 3.0f * eb;
    return status;
}
"""

# Exact but no compressor at all: the stream is the raw floats (ratio 1, far below half the start's on every case).
RAW_COPY = """#include <string.h>
#include "sz_abi.h"
int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t out_capacity,
                size_t *out_bytes, void *stream)
{
    (void)eb; (void)stream;
    if (out_capacity < n * sizeof(float)) return 1;
    memcpy(out, in, n * sizeof(float));
    *out_bytes = n * sizeof(float);
    return 0;
}
int sz_decompress(const uint8_t *in, size_t in_bytes, size_t n, float eb, float *out, void *stream)
{
    (void)eb; (void)stream;
    if (in_bytes != n * sizeof(float)) return 1;
    memcpy(out, in, in_bytes);
    return 0;
}
"""

BROKEN = START.replace("*out_bytes = pos;", "*out_bytes = pos")  # a missing semicolon

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not on PATH; the cpu backend needs it")


@pytest.fixture(scope="module")
def evaluator() -> TaskEvaluator:
    return TaskEvaluator(TASK, quick=True)


def _program(tmp_path: Path, code: str) -> str:
    path = tmp_path / "candidate.c"
    path.write_text(code)
    return str(path)


@pytest.mark.slow
def test_starting_code_scores_its_speed_relative_to_the_start(evaluator, tmp_path):
    """The task's own starting code passes, is measured, and scores its objective over the start's (> 0)."""
    result = evaluator.evaluate(_program(tmp_path, START))
    assert isinstance(result, EvaluationResult)
    assert result.artifacts["verdict"] == "ok", result.artifacts["detail"]
    assert result.metrics["correct"] == 1.0
    assert result.metrics["compress_gbps"] > 0 and result.metrics["decompress_gbps"] > 0
    start_gbps, start_ratios = evaluator.start()
    assert result.metrics["combined_score"] == pytest.approx(result.metrics["compress_gbps"] / start_gbps)
    assert result.metrics["combined_score"] > 0  # near 1 on a quiet machine; the start and this are measured apart
    bench_ratios = [ratio for case, ratio in start_ratios.items() if case.startswith("benchmark:")]
    # the start's own stream format (timed repetitions see perturbed copies of the input, so not to the byte)
    assert result.metrics["ratio"] == pytest.approx(bench_ratios[0], rel=0.01)


@pytest.mark.slow
def test_a_candidate_that_breaks_the_error_bound_scores_zero(evaluator, tmp_path):
    """A decompressor off by 3 eb is caught by the trusted side: bound_violation, score 0, no throughput."""
    result = evaluator.evaluate(_program(tmp_path, OFF_BY_3EB))
    assert result.artifacts["verdict"] == "bound_violation", result.artifacts["detail"]
    assert result.metrics == {"combined_score": 0.0, "correct": 0.0}
    stage1 = evaluator.stage1(_program(tmp_path, OFF_BY_3EB))
    assert stage1.artifacts["verdict"] == "bound_violation"
    assert stage1.metrics["validated"] == 0.0 and stage1.metrics["combined_score"] == 0.0


@pytest.mark.slow
def test_a_candidate_that_does_not_compile_scores_zero_with_the_log(evaluator, tmp_path):
    """A syntax error is a compile_error verdict whose detail carries gcc's message."""
    result = evaluator.evaluate(_program(tmp_path, BROKEN))
    assert result.artifacts["verdict"] == "compile_error"
    assert "error" in result.artifacts["detail"]
    assert result.metrics == {"combined_score": 0.0, "correct": 0.0}


@pytest.mark.slow
def test_a_raw_copy_is_exact_but_below_the_ratio_floor(evaluator, tmp_path):
    """A 'codec' that copies the floats is within the bound but not a compressor: ratio_regression, score 0."""
    result = evaluator.evaluate(_program(tmp_path, RAW_COPY))
    assert result.artifacts["verdict"] == "ratio_regression", result.artifacts["detail"]
    assert result.metrics["combined_score"] == 0.0
    assert evaluator.stage1(_program(tmp_path, RAW_COPY)).metrics["validated"] == 0.0


@pytest.mark.slow
def test_stage1_passes_the_starting_code_without_benchmarking_it(evaluator, tmp_path):
    """Cascade stage 1 validates only: validated 1.0 and no throughput (stage 2, the full evaluate, measures)."""
    result = evaluator.stage1(_program(tmp_path, START))
    assert result.artifacts["verdict"] == "ok", result.artifacts["detail"]
    assert result.metrics == {"validated": 1.0}


def test_unknown_and_unfit_tasks_are_refused_with_what_to_use():
    """An unknown id names the known tasks; a translate task says OpenEvolve needs an optimize task."""
    with pytest.raises(UnknownSpecError, match="szx-optimize-cpu"):
        TaskEvaluator("szx-optimise-cpu")
    with pytest.raises(TaskError, match="optimize task"):
        TaskEvaluator("szx-translate-cpu")


def test_init_writes_an_evaluator_and_the_starting_program(tmp_path, capsys):
    """`python -m szagents.interop.openevolve init` writes evaluator.py bound to the task and the start as .c."""
    assert main(["init", "--task", TASK, "--quick", str(tmp_path / "oe")]) == 0
    assert (tmp_path / "oe" / "initial_program.c").read_text() == START
    assert f"TaskEvaluator({TASK!r}, quick=True)" in (tmp_path / "oe" / "evaluator.py").read_text()
    assert main(["init", "--task", "nope", str(tmp_path / "bad")]) == 2
    assert "unknown task 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


async def _openevolve_evaluates(folder: Path, code: str) -> tuple[dict, dict]:
    """Metrics and artifacts of code as OpenEvolve's own Evaluator returns them (cascade on, as by default)."""
    evaluator = OpenEvolveEvaluator(EvaluatorConfig(cascade_evaluation=True, max_retries=0, timeout=120),
                                    str(folder / "evaluator.py"), suffix=".c")
    metrics = await evaluator.evaluate_program(code, program_id="p1")
    return metrics, evaluator.get_pending_artifacts("p1") or {}


@pytest.mark.slow
def test_openevolves_own_evaluator_runs_the_cascade_through_the_written_file(tmp_path):
    """OpenEvolve's Evaluator loads the written file: a failing candidate stops at stage 1, a passing one is measured."""
    write_evaluator(TASK, tmp_path, quick=True)
    metrics, artifacts = asyncio.run(_openevolve_evaluates(tmp_path, BROKEN))
    assert metrics == {"validated": 0.0, "combined_score": 0.0, "correct": 0.0}
    assert artifacts["verdict"] == "compile_error"
    metrics, artifacts = asyncio.run(_openevolve_evaluates(tmp_path, START))
    assert artifacts["verdict"] == "ok"
    assert metrics["validated"] == 1.0 and metrics["correct"] == 1.0 and metrics["combined_score"] > 0
    assert metrics["compress_gbps"] > 0
