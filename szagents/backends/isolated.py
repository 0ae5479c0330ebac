"""Parent side of a harness run: stage inputs, start the runner child, classify what happened."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from szagents.backends.protocol import BenchSettings, KernelSpec, Problem
from szagents.backends.results import (
    BenchmarkResult,
    CompileResult,
    Environment,
    ValidationResult,
    Verdict,
)
from szagents.backends.sandbox import Limits, ProcessOutcome, run_limited, tail
from szagents.codecs.base import get_codec
from szagents.errors import HarnessError, UnknownSpecError

__all__ = ["run_harness", "run_evaluation"]

_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


def _atomic_write(path: Path, write: Any) -> None:
    """Write through a uniquely named temp file, then rename: concurrent runs may stage the same file."""
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as handle:
        write(handle)
    os.replace(handle.name, path)


def _stage(problem: Problem, spec: KernelSpec, folder: Path) -> dict[str, Any]:
    """Write the problem's data (and reference stream) where the runner reads them."""
    data = np.ascontiguousarray(problem.data.ravel())
    if data.dtype != np.dtype(spec.dtype):
        data = data.astype(spec.dtype)
    digest = hashlib.sha1(data.view(np.uint8)).hexdigest()[:20]
    path = folder / f"{digest}.npy"
    if not path.exists():
        _atomic_write(path, lambda f: np.save(f, data))
    entry: dict[str, Any] = {"dataset": problem.dataset, "path": str(path), "eb": problem.eb}
    try:
        codec = get_codec(spec.codec, **spec.options)
        entry["capacity"] = codec.max_compressed_bytes(data.size, data.dtype)
    except UnknownSpecError:  # a user-defined kernel without a reference codec
        codec = None
        entry["capacity"] = 2 * data.nbytes + 65536
    if spec.format_check and codec is not None:
        ref = folder / f"{digest}-{spec.codec}-{'-'.join(spec.options.values())}-{problem.eb!r}.ref"
        _atomic_write(ref, lambda f: f.write(codec.compress(data, problem.eb)))
        entry["expected_stream_path"] = str(ref)
    return entry


def _parse(outcome: ProcessOutcome) -> tuple[dict[str, Any] | None, dict[str, Any] | None, str | None]:
    """(result, validation streamed before a benchmark, last phase) from the runner's JSON lines.

    Raises HarnessError on the harness's own bugs.
    """
    result, validation, phase = None, None, None
    for line in outcome.stdout.splitlines():
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "internal_error" in message:
            raise HarnessError("the harness runner failed (not the kernel):\n" + message["internal_error"])
        if "progress" in message:
            phase = message["progress"] if message["progress"] != "case" else f"case {message['dataset']}"
        if "validation" in message:
            validation = message["validation"]
        if "result" in message:
            result = message["result"]
    return result, validation, phase


def _unfinished(outcome: ProcessOutcome, phase: str | None, limits: Limits) -> dict[str, Any]:
    """Classify a runner that wrote no result: timeout or crash."""
    where = f" during {phase}" if phase else ""
    if outcome.timed_out:
        return {"verdict": "timeout", "detail": f"no result after {limits.wall_seconds:g} s{where}"}
    if outcome.signal:
        return {"verdict": "crash", "signal": outcome.signal, "detail": f"killed by {outcome.signal}{where}"}
    return {"verdict": "crash", "detail": f"process exited with status {outcome.returncode}{where} without a result"}


def _launch(
    op: str, device: str, build: CompileResult, spec: KernelSpec, problems: Sequence[Problem],
    bench_problems: Sequence[Problem], workdir: Path, limits: Limits, settings: BenchSettings | None,
    env: Mapping[str, str] | None,
) -> tuple[dict[str, Any], dict[str, Any] | None, ProcessOutcome]:
    """Stage the inputs, run the runner child once; (result, streamed validation, outcome)."""
    staging = workdir / ".harness"
    staging.mkdir(parents=True, exist_ok=True)
    request = {
        "op": op, "device": device, "library": str(build.library), "dtype": spec.dtype,
        "cases": [_stage(p, spec, staging) for p in problems],
        "bench_cases": [_stage(p, spec, staging) for p in bench_problems],
        "bench": (settings or BenchSettings()).model_dump(),
        "limits": {"processes": limits.process_limit(), "drop_privileges": limits.drop_privileges},
    }
    child_env = dict(os.environ if env is None else env)
    child_env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_PARENT, child_env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "szagents.backends.runner"]
    outcome = run_limited(command, limits=limits, cwd=workdir, stdin=json.dumps(request), env=child_env)
    result, validation, phase = _parse(outcome)
    if result is None:
        result = {**_unfinished(outcome, phase, limits), "phase": phase}
    if result.get("environment") is not None:
        result["environment"]["backend"] = device
    return result, validation, outcome


def run_harness(
    op: str,
    *,
    device: str,
    build: CompileResult,
    spec: KernelSpec,
    problems: Sequence[Problem],
    workdir: Path,
    limits: Limits,
    settings: BenchSettings | None = None,
    env: Mapping[str, str] | None = None,
) -> ValidationResult | BenchmarkResult:
    """Run the harness op ("validate" or "benchmark") on build in an isolated child."""
    model = BenchmarkResult if op == "benchmark" else ValidationResult
    if not build.ok or build.library is None:
        return model(verdict=Verdict.compile_error, detail="the build failed; see the compile log")
    result, _, outcome = _launch(op, device, build, spec, problems, (), workdir, limits, settings, env)
    return _to_model(model, result, outcome)


def run_evaluation(
    *,
    device: str,
    build: CompileResult,
    spec: KernelSpec,
    problems: Sequence[Problem],
    bench_problems: Sequence[Problem],
    workdir: Path,
    limits: Limits,
    settings: BenchSettings | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[ValidationResult, BenchmarkResult | None]:
    """Validate, then benchmark what validated, in ONE isolated child (one start-up, one staging)."""
    if not build.ok or build.library is None:
        return ValidationResult(verdict=Verdict.compile_error, detail="the build failed; see the compile log"), None
    result, validation, outcome = _launch("evaluate", device, build, spec, problems, bench_problems,
                                          workdir, limits, settings, env)
    if validation is None:  # failed (or crashed) while validating, or nothing to benchmark
        return _to_model(ValidationResult, result, outcome), None
    return _to_model(ValidationResult, validation, outcome), _to_model(BenchmarkResult, result, outcome)


def _to_model(model: type, result: dict[str, Any], outcome: ProcessOutcome) -> ValidationResult | BenchmarkResult:
    cases = result.get("cases", [])
    verdict = result["verdict"]
    if model is BenchmarkResult:
        bad = [c for c in cases if c.pop("violations", 0)]
        if verdict == "ok" and bad:
            verdict = "bound_violation"
            result["detail"] = f"benchmark output of {bad[0]['dataset']} exceeds the error bound"
    env = result.get("environment")
    fields = {
        "verdict": verdict, "detail": result.get("detail", ""), "cases": cases,
        "phase": result.get("phase"), "signal": result.get("signal"),
        "wall_seconds": outcome.wall_seconds, "stderr_tail": tail(outcome.stderr),
    }
    if model is BenchmarkResult and env is not None:
        fields["environment"] = Environment(**env)
    if model is ValidationResult and result.get("failed_case"):
        fields["detail"] = f"[{result['failed_case']}] {fields['detail']}"
    return model(**fields)
