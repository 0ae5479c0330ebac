"""Parent side of a harness run: the trusted process that lays out inputs and computes every verdict.

Compression and decompression run in two separate sandboxed children (child/runner.py); the
decompressing one receives exactly the bytes the compressor reported and never the input. The
children return raw outputs through the arena and claims through a socket; this process checks
the outputs after each child's tree is dead, and bounds every reported time by its own clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from szagents.backends.child import checks
from szagents.backends.child.arena import Arena
from szagents.backends.child.orders import CaseLayout, DiagnoseSpec
from szagents.backends.harness.benchrun import BenchRun
from szagents.backends.harness.conversation import ChildReport, ended
from szagents.backends.harness.launch import Launch
from szagents.backends.harness.layouts import compress_layout, decode_layout, fill_compress, fill_decode
from szagents.backends.harness.staging import Case, stage_cases
from szagents.backends.harness.verify import Failure, compress_failure, decode_failure
from szagents.backends.protocol import BenchSettings, KernelSpec, Problem
from szagents.backends.results import BenchmarkResult, CompileResult, ValidationResult, Verdict
from szagents.backends.sandbox import Limits, tail

__all__ = ["run_evaluation", "run_validation", "run_benchmark"]

_UNUSABLE_CLAIMS = (TypeError, ValueError, OverflowError, KeyError, IndexError, RecursionError, ZeroDivisionError)
_REFINES = {"bound_violation", "unwritten_output", "crash"}  # decode failures a cheat may explain


class _Evaluation:
    """One validate (+ benchmark) of a build: two children, then the verdicts."""

    def __init__(self, launch: Launch, settings: BenchSettings) -> None:
        self.launch, self.settings = launch, settings
        self.wall, self.stderr = 0.0, []

    def _account(self, report: ChildReport, name: str) -> None:
        if report.outcome is not None:
            self.wall += report.outcome.wall_seconds
            if report.outcome.stderr.strip():
                self.stderr.append(f"[{name}]\n{report.outcome.stderr}")

    def compress_checks(self, cases: Sequence[Case], report: ChildReport, arena: Arena,
                        layout: list[CaseLayout]) -> tuple[int, Failure | None, list[list[int]]]:
        """(first failing case or len(cases), its failure, out_bytes per round of the cases before it)."""
        calls = iter(report.calls)
        sizes: list[list[int]] = []
        for i, (case, entry) in enumerate(zip(cases, layout)):
            case_sizes = []
            for j, names in enumerate(entry.rounds):
                call = next(calls, None)
                if call is None or names.after is None:
                    return i, ended(report, self.launch.limits) or Failure("crash", "no result"), sizes
                # The input is judged against the parent's own copy: the arena's is as writable to the kernel.
                failure = compress_failure(call, case.capacity, arena.view(names.dst), case.rounds[j].view(np.uint8),
                                           arena.view(names.after), case.expected if j == 0 else None)
                if failure is not None:
                    return i, failure, sizes
                case_sizes.append(call.out_bytes)
            sizes.append(case_sizes)
        return len(cases), None, sizes

    def decode_checks(self, cases: Sequence[Case], report: ChildReport, arena: Arena,
                      layout: list[CaseLayout]) -> tuple[list[dict[str, Any]], tuple[int, Failure] | None]:
        """Per-case stats of the cases that decode correctly, and the first failure (case index, failure)."""
        calls = iter(report.calls)
        results = []
        for i, (case, entry) in enumerate(zip(cases, layout)):
            stats: dict[str, float] = {}
            for j, names in enumerate(entry.rounds):
                call = next(calls, None)
                if call is None:
                    return results, (i, self._refine(case, ended(report, self.launch.limits) or Failure("crash", "no result")))
                out = arena.view(names.dst, case.data.dtype)
                failure = decode_failure(call.status, call.settled, out, case.rounds[j], case.eb,
                                         case.rounds[0] if j else None, stats if j == 0 else None)
                if failure is not None:
                    return results, (i, self._refine(case, failure))
            nbytes = entry.rounds[0].size
            results.append({"dataset": case.dataset, "n": case.n, "dtype": case.data.dtype.name, "eb": case.eb,
                            "verdict": "ok", "compressed_bytes": nbytes, "ratio": case.data.nbytes / nbytes, **stats})
        return results, None

    def _refine(self, case: Case, failure: Failure) -> Failure:
        """Ask a diagnosis child (compress + decompress in one process, the old ladder) to name a cheat."""
        if failure.verdict not in _REFINES:
            return failure
        arena = Arena()
        arena.add("data", case.data.nbytes)
        arena.create()
        try:
            arena.view("data")[:] = case.data.view(np.uint8)
            report = self.launch.run("diagnose", arena,
                                     diagnose=DiagnoseSpec("data", case.n, case.eb, case.capacity, case.dataset))
        finally:
            arena.close()
        claim = report.diagnosis
        if claim is not None and claim.verdict in ("cheat_detected", "size_error"):
            return Failure(claim.verdict, claim.detail[:500])
        return failure

    def validate(self, cases: list[Case], benches: list[Case]) -> tuple[ValidationResult, BenchmarkResult | None]:
        c_arena = Arena()
        c_layout = compress_layout(cases, c_arena)
        bench = BenchRun(self.launch, self.settings, benches)
        bench.add_base(c_arena)
        c_arena.create()
        try:
            fill_compress(cases, c_layout, c_arena)
            bench.fill_base(c_arena)
            return self._both(cases, c_arena, c_layout, bench)
        except _UNUSABLE_CLAIMS as exc:  # a claim no check anticipated: the kernel's failure, never the framework's
            detail = f"the kernel's process sent claims the harness cannot use ({type(exc).__name__}: {str(exc)[:200]})"
            return ValidationResult(verdict=Verdict.crash, detail=detail, wall_seconds=self.wall), None
        finally:
            bench.close()
            c_arena.close()

    def _both(self, cases: list[Case], c_arena: Arena, c_layout: list[CaseLayout],
              bench: BenchRun) -> tuple[ValidationResult, BenchmarkResult | None]:
        rc = self.launch.run("compress", c_arena, bench.reps["compress"], cases=c_layout, bench=bench.requests("compress"),
                             plan=bench.plan_compress,
                             bench_ok=lambda r: len(r.calls) == sum(len(c.rounds) for c in cases) and all(
                                 call.status == 0 for call in r.calls), flush=bench.flush("compress"),
                             after_done=bench.snapshot("compress"), before_go=bench.before_go("compress"),
                             settle=bench.reveal)
        self._account(rc, "compress")
        k, c_failure, sizes = self.compress_checks(cases, rc, c_arena, c_layout)
        d_arena = Arena()
        try:
            d_layout = decode_layout(cases[:k], sizes, c_layout, d_arena)
            bench.add_decode_base(rc, d_arena)
            d_arena.create()
            fill_decode(cases[:k], d_layout, c_arena, c_layout, d_arena)
            bench.fill_decode_base(c_arena, d_arena)
            run_bench = c_failure is None and bench.compress_ok(rc)
            rd = self.launch.run("decompress", d_arena, bench.reps["decompress"], cases=d_layout,
                                 bench=bench.requests("decompress") if run_bench else [], plan=bench.plan_decompress,
                                 flush=bench.flush("decompress"), after_done=bench.snapshot("decompress"),
                                 before_go=bench.before_go("decompress"), settle=bench.reveal)
            self._account(rd, "decompress")
            results, d_failure = self.decode_checks(cases[:k], rd, d_arena, d_layout)
            failure = d_failure or ((k, c_failure) if c_failure is not None else None)
            validation = self._validation(cases, results, failure, rc, rd)
            benchmark = bench.result(rc, rd, d_arena, self._common(rc, rd)) if validation.ok and bench.cases else None
            if benchmark is not None and benchmark.ok:
                benchmark = self._fresh_decode(bench, rc, benchmark)
            return validation, benchmark
        finally:
            d_arena.close()

    def _fresh_decode(self, bench: BenchRun, rc: ChildReport, benchmark: BenchmarkResult) -> BenchmarkResult:
        """Decode one secretly chosen timed stream per case in a new process; a wrong one fails the benchmark."""
        picked = [bench.fresh_decode_case(i, rc) for i in range(len(bench.cases))]
        cases = [c for c, _ in picked]
        arena = Arena()
        layout = decode_layout(cases, [[len(s)] for _, s in picked],
                               [CaseLayout(c.dataset, c.n, c.eb, c.capacity, []) for c in cases], arena)
        arena.create()
        try:
            for (case, stream), entry in zip(picked, layout):
                names = entry.rounds[0]
                arena.view(names.src)[: len(stream)] = np.frombuffer(stream, np.uint8)
                arena.view(names.src)[len(stream):] = checks.BYTE_POISON
                checks.poison(arena.view(names.dst, case.data.dtype))
            report = self.launch.run("decompress", arena, cases=layout)
            self._account(report, "fresh decode")
            _, failure = self.decode_checks(cases, report, arena, layout)
        finally:
            arena.close()
        if failure is None:
            return benchmark
        index, f = failure
        return BenchmarkResult(verdict=f.verdict, detail=f"[{cases[index].dataset}] decoded by a fresh process that "
                               f"never saw another call, the stream is wrong: {f.detail}", **self._common(rc))

    def _common(self, *reports: ChildReport) -> dict[str, Any]:
        outcomes = [r.outcome for r in reports if r.outcome is not None]
        signal = next((o.signal for o in outcomes if o.signal), None)
        return {"wall_seconds": self.wall, "stderr_tail": tail("\n".join(self.stderr)), "signal": signal,
                "isolation": outcomes[0].isolation if outcomes else None}

    def _validation(self, cases: list[Case], results: list[dict[str, Any]], failure: tuple[int, Failure] | None,
                    rc: ChildReport, rd: ChildReport) -> ValidationResult:
        common = self._common(rc, rd)
        if failure is None:
            return ValidationResult(verdict=Verdict.ok, cases=results, **common)
        index, f = failure
        case = cases[index]
        failed = {"dataset": case.dataset, "n": case.n, "dtype": case.data.dtype.name, "eb": case.eb,
                  "verdict": f.verdict, "detail": f.detail, "violation": f.violation}
        phase = rd.phase if rd.phase and not rd.finished else rc.phase
        return ValidationResult(verdict=f.verdict, detail=f"[{case.dataset}] {f.detail}", cases=[*results[:index], failed],
                                phase=phase, **common)


def run_evaluation(
    *, device: str, build: CompileResult, spec: KernelSpec, problems: Sequence[Problem],
    bench_problems: Sequence[Problem], workdir: Path, limits: Limits, settings: BenchSettings | None = None,
    env: Mapping[str, str] | None = None, isolation: str | None = None,
) -> tuple[ValidationResult, BenchmarkResult | None]:
    """Validate, then benchmark what validated; the children are sandboxed, the verdicts computed here."""
    if not build.ok or build.library is None:
        return ValidationResult(verdict=Verdict.compile_error, detail="the build failed; see the compile log"), None
    launch = Launch(device, build.library, spec, limits, dict(env or {}), isolation)
    evaluation = _Evaluation(launch, settings or BenchSettings())
    return evaluation.validate(stage_cases(list(problems), spec), stage_cases(list(bench_problems), spec, rounds=False))


def run_validation(
    *, device: str, build: CompileResult, spec: KernelSpec, problems: Sequence[Problem], workdir: Path,
    limits: Limits, env: Mapping[str, str] | None = None, isolation: str | None = None,
) -> ValidationResult:
    """Validate problems (DESIGN.md's rules) in sandboxed children."""
    validation, _ = run_evaluation(device=device, build=build, spec=spec, problems=problems, bench_problems=(),
                                   workdir=workdir, limits=limits, env=env, isolation=isolation)
    return validation


def run_benchmark(
    *, device: str, build: CompileResult, spec: KernelSpec, problems: Sequence[Problem], workdir: Path,
    limits: Limits, settings: BenchSettings | None = None, env: Mapping[str, str] | None = None,
    isolation: str | None = None,
) -> BenchmarkResult:
    """Benchmark problems (after checking they round-trip within the bound); a failed check is the result."""
    validation, benchmark = run_evaluation(
        device=device, build=build, spec=spec, problems=(), bench_problems=problems, workdir=workdir, limits=limits,
        settings=settings, env=env, isolation=isolation)
    if benchmark is None:
        return BenchmarkResult(**validation.model_dump(exclude={"cases"}))
    return benchmark
