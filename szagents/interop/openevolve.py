"""OpenEvolve evaluator entry: score a candidate kernel file with szagents' sandboxed harness.

OpenEvolve (https://github.com/algorithmicsuperintelligence/openevolve, >= 0.4) loads an
`evaluation_file` by path in each of its worker processes and calls `evaluate(program_path)` -- and,
with cascade evaluation on (its default), `evaluate_stage1(program_path)` then
`evaluate_stage2(program_path)` -- with nothing but the path. So the task is bound in a tiny generated
evaluator file (`write_evaluator`, or `python -m szagents.interop.openevolve init`) rather than passed
as an argument: OpenEvolve forwards its `evaluator_args` to `evaluate` only, never to the stages.

Every candidate is compiled, validated and benchmarked by the same trusted harness a szagents run uses;
nothing the candidate prints is believed. A failed verdict scores 0 and travels back as an artifact
(OpenEvolve shows artifacts to the model in the next prompt).
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from szagents.backends.diagnostics import summarize_log
from szagents.backends.protocol import QUICK_BENCH, Backend, BenchSettings, Problem
from szagents.backends.registry import get_backend
from szagents.backends.results import BenchmarkResult
from szagents.errors import HarnessError, TaskError, ToolchainError
from szagents.tasks.catalog import get_task
from szagents.tasks.evaluate import Evaluation, build_problems, evaluate, kernel_spec
from szagents.tasks.integrity import floors, objective_value
from szagents.tasks.task import Mode, Task
from szagents.workspace.layout import target_files, target_sources
from szagents.workspace.materialize import materialize

__all__ = ["TaskEvaluator", "verdict_of", "write_evaluator", "main"]

_EVALUATOR_FILE = '''"""OpenEvolve evaluator for the szagents task {task_id} (written by szagents.interop.openevolve)."""

from szagents.interop.openevolve import TaskEvaluator

_TASK = TaskEvaluator({task_id!r}, quick={quick!r})
evaluate = _TASK.evaluate  # compile, validate, benchmark: the full verdict
evaluate_stage1 = _TASK.stage1  # cascade: compile + validate only
evaluate_stage2 = _TASK.evaluate  # cascade: everything, for what passed stage 1
'''


def verdict_of(evaluation: Evaluation) -> tuple[str, str]:
    """(verdict, detail) of an evaluation: the first failing stage decides, as for a run's revisions."""
    if not evaluation.build.ok:
        return "compile_error", summarize_log(evaluation.build.log, limit=3000)
    for stage in (evaluation.validation, evaluation.benchmark):
        if stage is not None and not stage.ok:
            return stage.verdict.value, stage.detail
    if evaluation.floor is not None and not evaluation.floor.ok:
        return "ratio_regression", evaluation.floor.detail()
    return "ok", ""


def _measured(bench: BenchmarkResult | None) -> dict[str, float]:
    """Across benchmark cases: geometric-mean GB/s of each direction and the overall ratio (as revisions count them)."""
    if bench is None or not bench.ok or not bench.cases:
        return {}

    def gmean(values: list[float]) -> float:
        positive = [v for v in values if v > 0]
        return math.prod(positive) ** (1 / len(positive)) if positive else 0.0

    compressed = sum(c.compressed_bytes for c in bench.cases)
    return {
        "compress_gbps": gmean([c.compress_gbps for c in bench.cases]),
        "decompress_gbps": gmean([c.decompress_gbps for c in bench.cases]),
        "ratio": sum(c.input_bytes for c in bench.cases) / compressed if compressed else 0.0,
    }


def _check_task(task: Task) -> str:
    """The one file OpenEvolve evolves for task; TaskError when task does not fit OpenEvolve's one-file loop."""
    targets = target_files(task)
    if task.mode is not Mode.optimize:
        raise TaskError(f"task {task.id!r} is a {task.mode.value} task; OpenEvolve evolves a working program, "
                        "so use an optimize task (szagents tasks lists them)")
    if len(targets) != 1:
        raise TaskError(f"task {task.id!r} needs {len(targets)} files ({', '.join(targets)}); "
                        "OpenEvolve evolves one file per program")
    return targets[0]


class TaskEvaluator:
    """Scores candidate files for one szagents optimize task; `evaluate`, `stage1` are OpenEvolve's callables.

    combined_score = the task's objective (e.g. compress GB/s) relative to the task's starting code measured
    by this evaluator (1.0 = as fast as the start), 0 for any verdict but ok.
    """

    def __init__(self, task_id: str, *, quick: bool = False, backend: Backend | None = None,
                 settings: BenchSettings | None = None):
        task = get_task(task_id)  # UnknownSpecError naming the known tasks
        self.target = _check_task(task)
        self.task = task.quick() if quick else task
        self.backend = backend or get_backend(task.target)
        self.settings = settings or (QUICK_BENCH if quick else BenchSettings())
        kernel = self.task.kernel
        self.spec = kernel_spec(kernel, task.variant, kernel.validation.format_check)
        self._lock = threading.Lock()  # OpenEvolve evaluates in a thread pool: suites and the start are built once
        self._suites: tuple[list[Problem], list[Problem]] | None = None
        self._start: tuple[float, dict[str, float]] | None = None

    def suites(self) -> tuple[list[Problem], list[Problem]]:
        """The task's validation and benchmark problems (datasets loaded once)."""
        with self._lock:
            if self._suites is None:
                kernel = self.task.kernel
                self._suites = (build_problems(kernel.validation, kernel.dtype),
                                build_problems(kernel.benchmark, kernel.dtype))
            return self._suites

    def start(self) -> tuple[float, dict[str, float]]:
        """(objective, ratio per case) of the task's starting code, measured once here; HarnessError if it fails."""
        if self._start is None:
            code = self.task.kernel.source_path(self.task.source).read_text()
            evaluation = self._run(code, bench=True, floor=False)
            verdict, detail = verdict_of(evaluation)
            if verdict != "ok":
                raise HarnessError(f"the starting code of {self.task.id} fails here ({verdict}): {detail[:500]}; "
                                   f"check the {self.task.target} backend with `szagents doctor`")
            value = objective_value(self.task.integrity.objective, **{
                k: v for k, v in _measured(evaluation.benchmark).items() if k.endswith("gbps")})
            with self._lock:
                self._start = self._start or (value, evaluation.ratios())
        return self._start

    def _run(self, code: str, *, bench: bool, floor: bool) -> Evaluation:
        """Compile, validate (and benchmark) code as the task's target file in a fresh workspace."""
        state = self.backend.availability()
        if not state.can_compile or (not state.available and bench):
            raise ToolchainError(f"the {self.backend.name} backend cannot run kernels here: {state.reason}")
        validation, benchmark = self.suites()
        with tempfile.TemporaryDirectory(prefix="szagents-openevolve-") as folder:
            workspace = materialize(self.task, Path(folder))
            workspace.root.joinpath(self.target).write_text(code)
            result = evaluate(self.backend, target_sources(self.task, workspace), self.spec, workspace.root,
                              validation, benchmark if bench else (), self.settings)
        if floor and result.correct:  # only a passing candidate needs the start's ratios (measured on first use)
            integrity = self.task.integrity
            result = result.with_floor(floors(integrity, self.start()[1]), integrity.min_ratio)
        return result

    def evaluate(self, program_path: str) -> Any:
        """OpenEvolve's evaluate(): compile, validate, benchmark; metrics and the verdict as artifacts."""
        evaluation = self._run(Path(program_path).read_text(), bench=True, floor=True)
        verdict, detail = verdict_of(evaluation)
        measured = _measured(evaluation.benchmark) if verdict == "ok" else {}
        value = objective_value(self.task.integrity.objective, measured.get("compress_gbps"),
                                measured.get("decompress_gbps"))
        metrics = {"combined_score": value / self.start()[0] if verdict == "ok" else 0.0,
                   "correct": float(verdict == "ok"), **measured}
        return _result(metrics, {"verdict": verdict, "detail": detail, "task": self.task.id})

    def stage1(self, program_path: str) -> Any:
        """OpenEvolve's evaluate_stage1(): compile and validate only; `validated` is 1.0 or 0.0.

        A pass carries no combined_score, so OpenEvolve's threshold (<= 1.0) sees the average 1.0 and
        stage 2 (the full evaluate) sets the score; a failure scores 0 and stops the cascade.
        """
        evaluation = self._run(Path(program_path).read_text(), bench=False, floor=True)
        verdict, detail = verdict_of(evaluation)
        metrics = {"validated": 1.0} if verdict == "ok" else {"validated": 0.0, "combined_score": 0.0, "correct": 0.0}
        return _result(metrics, {"verdict": verdict, "detail": detail, "task": self.task.id})


def _result(metrics: dict[str, float], artifacts: dict[str, str]) -> Any:
    """An openevolve EvaluationResult (metrics plus text artifacts)."""
    try:
        from openevolve.evaluation_result import EvaluationResult
    except ModuleNotFoundError:
        raise ToolchainError("openevolve is not installed: pip install 'szagents[openevolve]'") from None
    return EvaluationResult(metrics=metrics, artifacts=artifacts)


def write_evaluator(task_id: str, folder: Path, *, quick: bool = False) -> tuple[Path, Path]:
    """Write folder/evaluator.py (bound to task_id) and folder/initial_program.<ext> (the starting code)."""
    task = get_task(task_id)
    target = _check_task(task)
    folder.mkdir(parents=True, exist_ok=True)
    evaluator = folder / "evaluator.py"
    evaluator.write_text(_EVALUATOR_FILE.format(task_id=task.id, quick=quick))
    program = folder / f"initial_program{Path(target).suffix}"
    shutil.copyfile(task.kernel.source_path(task.source), program)
    return evaluator, program


def main(argv: list[str] | None = None) -> int:
    """`python -m szagents.interop.openevolve init --task ID [--quick] FOLDER`."""
    parser = argparse.ArgumentParser(prog="python -m szagents.interop.openevolve",
                                     description="Evaluate OpenEvolve candidates with szagents' harness.")
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="write evaluator.py and the initial program for a task")
    init.add_argument("--task", required=True, help="an szagents optimize task id, e.g. szx-optimize-cpu")
    init.add_argument("--quick", action="store_true", help="benchmark the task's quick datasets, fewer repetitions")
    init.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    try:
        evaluator, program = write_evaluator(args.task, args.folder, quick=args.quick)
    except (TaskError, KeyError) as exc:
        print(f"error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    print(f"wrote {evaluator} and {program}\n"
          f"run: openevolve-run {program} {evaluator} --config your_config.yaml --iterations 10")
    return 0


if __name__ == "__main__":
    sys.exit(main())
