"""The validator as a fitness, cheap checks first: compile, validate, screen, and only then the full benchmark.

Stages of one program's files (each logged as the usual compile / validation / benchmark event,
stamped with the candidate):
1. compile; 2. validate on the task's validation suite (the small cases), then the ratio floor;
3. screen: a short benchmark (`CascadeConfig.screen_*` repetitions); 4. the full benchmark, run only
when the screened program could enter the archive (its cell is empty, or its screened objective is
within `screen_margin` of the cell's elite). A program that stops early is stored as a revision with
what was measured (a screened one with its screening numbers, never a full measurement).
Files identical to an evaluated program reuse its revision's result: nothing is compiled or run again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from szagents.backends.protocol import BenchSettings
from szagents.backends.results import BenchmarkResult
from szagents.strategies.candidates import candidate_tools
from szagents.strategies.context import SearchContext
from szagents.tasks.evaluate import Evaluation
from szagents.tasks.integrity import Objective, objective_value
from szagents.tasks.slots import bench_slot
from szagents.tools.events import benchmark_event, compile_event, validation_event
from szagents.trajectory.events import RevisionEvent
from szagents.workspace.layout import target_files
from szagents.workspace.revisions import benchmark_numbers as summary_numbers  # the store's own summary of a benchmark

__all__ = ["Fitness", "features_of", "evaluate_program"]

CouldEnter = Callable[[dict[str, float], float], bool]  # (screened features, screened objective) -> benchmark fully?


@dataclass(frozen=True)
class Fitness:
    """What the cascade found out about one program."""

    stage: str  # compile, validate, screen, benchmark
    verdict: str
    correct: bool
    revision: int
    objective: float | None = None  # full benchmark only
    screen_objective: float | None = None
    ratio: float | None = None
    features: dict[str, float] = field(default_factory=dict)
    detail: str = ""


def features_of(revision: object, files: Mapping[str, bytes], ctx: SearchContext) -> dict[str, float]:
    """The archive features of a measured revision (ratio, GB/s, objective, code size)."""
    comp, dec = getattr(revision, "compress_gbps", None), getattr(revision, "decompress_gbps", None)
    found = {"ratio": getattr(revision, "ratio", None), "compress_gbps": comp, "decompress_gbps": dec,
             "gmean_gbps": objective_value(Objective.gmean_gbps, comp, dec) if comp and dec else None,
             "objective": objective_value(ctx.task.integrity.objective, comp, dec) if comp and dec else None,
             "code_chars": float(sum(len(files.get(t, b"")) for t in target_files(ctx.task)))}
    return {k: float(v) for k, v in found.items() if v is not None}


def _screen_settings(ctx: SearchContext) -> BenchSettings:
    cascade = ctx.strategy.cascade
    return BenchSettings(min_seconds=cascade.screen_min_seconds, min_reps=cascade.screen_reps, warmup=1)


def _save(ctx: SearchContext, candidate: str, files: Mapping[str, bytes], role: str, action: str,
          evaluation: Evaluation, parent_revision: int | None, stage: str) -> Fitness:
    """Store the revision, log it (diff against the parent's revision), and say how far it got."""
    revision = ctx.revisions.save(files, role=role, action=action, evaluation=evaluation)
    return _logged(ctx, candidate, revision, files, parent_revision, stage)


def _logged(ctx: SearchContext, candidate: str, revision: object, files: Mapping[str, bytes],
            parent_revision: int | None, stage: str) -> Fitness:
    rev = revision  # a workspace.revisions.Revision
    diff = ctx.revisions.diff(parent_revision, rev.number) if parent_revision else ""
    ctx.sink.emit(RevisionEvent(
        run_id=ctx.run_id, candidate_id=candidate, number=rev.number, role=rev.role, action=rev.action, sha256=rev.sha256,
        files=rev.files, verdict=rev.verdict, correct=rev.correct, compress_gbps=rev.compress_gbps,
        decompress_gbps=rev.decompress_gbps, ratio=rev.ratio, diff=diff, compress_cv=rev.compress_cv,
        decompress_cv=rev.decompress_cv, reused_from=rev.reused_from, detail=rev.detail[:300]))
    features = features_of(rev, files, ctx) if rev.correct else {}
    measured = features.get("objective")
    full = stage == "benchmark" and rev.correct
    return Fitness(stage=stage, verdict=rev.verdict, correct=rev.correct, revision=rev.number,
                   objective=measured if full else None, screen_objective=measured if not full else None,
                   ratio=rev.ratio, features=features, detail=rev.detail)


def evaluate_program(ctx: SearchContext, candidate: str, files: Mapping[str, bytes], *, action: str,
                     floors: Mapping[str, float] | None, could_enter: CouldEnter | None,
                     parent_revision: int | None = None, role: str = "mutator") -> Fitness:
    """Run the cascade on files in the candidate's workspace (could_enter None: no screening, full benchmark)."""
    earlier = ctx.revisions.same_files(files)
    if earlier is not None:
        revision = ctx.revisions.save_reused(files, role=role, action=action, source=earlier)
        stage = "benchmark" if earlier.correct and earlier.compress_gbps is not None else "validate"
        return _logged(ctx, candidate, revision, files, parent_revision, stage)
    tool_ctx, sink, workspace = candidate_tools(ctx, candidate)
    workspace.restore(files)
    backend, spec, root = ctx.backend, tool_ctx.spec, workspace.root
    build = backend.compile(tool_ctx.sources(), spec, root)
    sink.emit(compile_event(build, run_id=ctx.run_id, by="validator"))
    if not build.ok:
        return _save(ctx, candidate, files, role, action, Evaluation(build, None, None), parent_revision, "compile")
    with bench_slot(backend.name, str(root)):
        checked = backend.validate(build, spec, tool_ctx.validation_problems, root)
    sink.emit(validation_event(checked, run_id=ctx.run_id, by="validator"))
    evaluation = Evaluation(build, checked, None)
    if floors is not None:
        evaluation = evaluation.with_floor(floors, ctx.task.integrity.min_ratio)
    if not evaluation.correct or not tool_ctx.benchmark_problems:
        return _save(ctx, candidate, files, role, action, evaluation, parent_revision, "validate")
    stages = [("screen", _screen_settings(ctx))] if could_enter is not None and ctx.strategy.cascade.screen else []
    for stage, settings in [*stages, ("benchmark", ctx.tools_template.bench_settings)]:
        with bench_slot(backend.name, str(root)):
            bench = backend.benchmark(build, spec, tool_ctx.benchmark_problems, root, settings)
        sink.emit(benchmark_event(bench, run_id=ctx.run_id, by=stage))
        measured = Evaluation(build, checked, bench)
        if floors is not None:
            measured = measured.with_floor(floors, ctx.task.integrity.min_ratio)
        if stage == "screen":
            estimate = features_of(_Measured(bench), files, ctx)
            if bench.ok and measured.correct and could_enter(estimate, estimate.get("objective", 0.0)):
                continue
            return _save(ctx, candidate, files, role, f"{action} (screened)", measured, parent_revision, "screen")
        return _save(ctx, candidate, files, role, action, measured, parent_revision, "benchmark")
    raise AssertionError("unreachable: the benchmark stage always returns")


class _Measured:
    """A benchmark's summary numbers, shaped like a revision for features_of."""

    def __init__(self, bench: BenchmarkResult) -> None:
        numbers = summary_numbers(bench)
        self.compress_gbps, self.decompress_gbps, self.ratio = (numbers.get("compress_gbps"),
                                                                numbers.get("decompress_gbps"), numbers.get("ratio"))
