"""Synthetic run folders with realistic trajectories, for the report tests and the report-speed benchmark (a test helper).

Each run is written through the real `TrajectoryWriter` as the graph would write it (run start, LLM and
tool calls, the validator's compile/validation/benchmark, revisions with diffs, run end), with fixed
timestamps so the same spec always gives the same files.
"""

from __future__ import annotations

import difflib
import json
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from szagents.tiers import TIERS
from szagents.trajectory import TRAJECTORY_FILENAME, BenchmarkCase, Environment, Timing, TrajectoryWriter
from szagents.trajectory.events import (
    BenchmarkEvent, CompileEvent, LlmCall, RevisionEvent, RunEnd, RunStart, ToolCall, ValidationEvent,
)

__all__ = ["SyntheticStep", "SyntheticRun", "write_run", "random_runs", "write_sweep"]

_EPOCH = datetime(2025, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class SyntheticStep:
    """One submitted revision: its verdict, measurements, and the LLM calls spent before it."""

    action: str
    verdict: str = "ok"
    tc: float | None = None
    td: float | None = None
    ratio: float | None = None
    calls: int = 1  # LLM calls up to and including the one that submits (0: the baseline measurement)
    own_tc: tuple[float, ...] = ()  # the agent's own benchmarks of this code before submitting (Tc; Td alike)
    exec_time_s: float | None = None  # Cerebras runtime execution time
    bandwidth_fraction: float | None = None  # compress/decompress fraction of the memory bandwidth (cuda)
    joules_per_gb: tuple[float, float] | None = None  # compress, decompress J/GB (cuda, NVML)


@dataclass(frozen=True)
class SyntheticRun:
    """A whole run: configuration, steps and how it stopped."""

    run_id: str
    steps: tuple[SyntheticStep, ...]
    model: str = "scripted:synthetic"
    tier: str = "expert"
    kernel: str = "szx"
    mode: str = "optimize"
    target: str = "cpu"
    team: str = "single"
    stop_reason: str = "agent_stop"
    iteration_budget: int = 40
    payload_chars: int = 400  # size of each written file (real runs write whole kernels)
    start: datetime = field(default=_EPOCH)
    sdk_version: str | None = None  # cerebras: the SDK its compiles, validations and benchmarks report
    sdk_switch_at: int | None = None  # from this revision on, sdk_version + " (upgraded)" (a run that saw two SDKs)


class _Clock:
    """Deterministic timestamps: one second per event."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def tick(self, seconds: float = 1.0) -> str:
        """Advance the clock and return the new ISO timestamp."""
        self.now += timedelta(seconds=seconds)
        return self.now.isoformat(timespec="microseconds")


def _source(spec: SyntheticRun, number: int, action: str) -> str:
    """The kernel text of a revision (padded to the run's payload size)."""
    body = "\n".join(f"/* {spec.kernel} kernel, revision {number}: {action} (line {i}) */" for i in range(8))
    return body + "\n" + "x" * max(0, spec.payload_chars - len(body)) + "\n"


def _timing(seconds: float) -> Timing:
    """Timings whose median is seconds (the rest is not read by the analysis)."""
    return Timing(median_seconds=seconds, min_seconds=seconds, max_seconds=seconds, iqr_seconds=0.0, repetitions=3)


def _case(spec: SyntheticRun, step: SyntheticStep, tc: float | None) -> BenchmarkCase:
    """One benchmark case with Tc (and Td scaled alike; NaN where the step has none), ratio and optional extras.

    A Cerebras step's execution time is what its backend records: cycle-counted compress and decompress
    timings (half each) with their cycles.
    """
    td = None if step.td is None or tc is None or step.tc is None else step.td * tc / step.tc
    tc_gbps, td_gbps = (math.nan if v is None else v for v in (tc, td))
    halves = None if step.exec_time_s is None else step.exec_time_s / 2
    fraction = step.bandwidth_fraction
    return BenchmarkCase(
        dataset="climate@rel=0.001", n=6480000, dtype="float32", eb=0.1, input_bytes=25920000,
        compressed_bytes=int(25920000 / (step.ratio or 1.0)), ratio=math.nan if step.ratio is None else step.ratio,
        compress=_timing(25920000 / tc_gbps / 1e9 if halves is None else halves),
        decompress=_timing(25920000 / td_gbps / 1e9 if halves is None else halves),
        compress_gbps=tc_gbps, decompress_gbps=td_gbps, psnr_db=80.0, nrmse=1e-4, max_error_over_eb=0.9,
        compress_bandwidth_fraction=fraction, decompress_bandwidth_fraction=fraction,
        compress_cycles=None if halves is None else round(halves * 850e6),
        decompress_cycles=None if halves is None else round(halves * 850e6), clock_hz=None if halves is None else 850e6,
        compress_joules_per_gb=step.joules_per_gb[0] if step.joules_per_gb else None,
        decompress_joules_per_gb=step.joules_per_gb[1] if step.joules_per_gb else None)


def _harness(w: TrajectoryWriter, clock: _Clock, spec: SyntheticRun, step: SyntheticStep, by: str, number: int,
             tc: float | None) -> None:
    """The compile, validation and benchmark events of one harness run on revision number's code."""
    rid, sdk, sha = spec.run_id, _sdk(spec, number), f"{number:064x}"
    compiled = step.verdict != "compile_error"
    w.emit(CompileEvent(run_id=rid, ts=clock.tick(), by=by, ok=compiled, cached=False, compile_seconds=0.5,
                        content_sha256=sha, command=["cc", "kernel.c"], log_excerpt="" if compiled else "error: x",
                        sdk_version=sdk))
    if not compiled:
        return
    validated = step.verdict in ("ok", "zero_exec_time")
    w.emit(ValidationEvent(run_id=rid, ts=clock.tick(), by=by, verdict="ok" if validated else step.verdict,
                           detail="" if validated else f"synthetic {step.verdict}", sdk_version=sdk))
    if validated:
        env = Environment(backend=spec.target, device=f"synthetic {spec.target}")
        w.emit(BenchmarkEvent(run_id=rid, ts=clock.tick(), by=by, verdict=step.verdict,
                              cases=[_case(spec, step, tc)], environment=env, sdk_version=sdk))


def _sdk(spec: SyntheticRun, number: int) -> str | None:
    """The SDK version the harness reports for revision number (changed from revision sdk_switch_at on)."""
    if spec.sdk_version is None or spec.sdk_switch_at is None or number < spec.sdk_switch_at:
        return spec.sdk_version
    return f"{spec.sdk_version} (upgraded)"


def _call(w: TrajectoryWriter, clock: _Clock, spec: SyntheticRun, role: str, index: int, tools: list[dict[str, Any]]) -> None:
    """One LLM call and the tool calls it asked for."""
    rid = spec.run_id
    w.emit(LlmCall(run_id=rid, ts=clock.tick(), role=role, model=spec.model, iteration=index,
                   input_tokens=1000 + 500 * index, output_tokens=200, latency_s=2.0, request_messages=2 * index + 1,
                   response={"content": f"call {index}", "tool_calls": tools}))
    for number, tool in enumerate(tools):
        w.emit(ToolCall(run_id=rid, ts=clock.tick(), role=role, tool=tool["name"], call_id=f"c{index}_{number}",
                        args=tool["args"], ok=True, output="ok", duration_s=0.01))


def _agent_turns(w: TrajectoryWriter, clock: _Clock, spec: SyntheticRun, step: SyntheticStep, role: str,
                 calls_so_far: int, number: int, sha: str) -> int:
    """The LLM calls before a submission: reads, the agent's own benchmarks, then write + submit."""
    for i in range(step.calls):
        index = calls_so_far + i + 1
        if i == step.calls - 1:
            tools = [{"name": "write_file", "args": {"path": "kernel.c", "content": _source(spec, number, step.action)}},
                     {"name": "submit", "args": {"action": step.action}}]
        elif i < len(step.own_tc):
            tools = [{"name": "benchmark", "args": {}}]
        else:
            tools = [{"name": "read_file", "args": {"path": "kernel.c"}}]
        _call(w, clock, spec, role, index, [dict(t, id=f"c{index}_{k}") for k, t in enumerate(tools)])
        if i < len(step.own_tc) and i != step.calls - 1:
            _harness(w, clock, spec, step, "tool", number, step.own_tc[i])
    return calls_so_far + step.calls


def _save_revision(run_dir: Path, spec: SyntheticRun, number: int, step: SyntheticStep, previous: str) -> str:
    """Write revisions/NNN (files and revision.json) and return the diff against the previous source."""
    source = _source(spec, number, step.action)
    folder = run_dir / "revisions" / f"{number:03d}"
    (folder / "files").mkdir(parents=True, exist_ok=True)
    (folder / "files" / "kernel.c").write_text(source)
    (folder / "revision.json").write_text(json.dumps({"number": number, "action": step.action, "verdict": step.verdict}))
    if not previous:
        return ""
    lines = difflib.unified_diff(previous.splitlines(True), source.splitlines(True),
                                 f"rev{number - 1:03d}/kernel.c", f"rev{number:03d}/kernel.c")
    return "".join(lines)


def write_run(root: Path, spec: SyntheticRun) -> Path:
    """Write one synthetic run folder under root and return it."""
    run_dir = Path(root) / spec.run_id
    clock, rid = _Clock(spec.start), spec.run_id
    models = {"translator": spec.model, "optimizer": spec.model}
    calls, best, previous, best_score = 0, None, "", -1.0
    with TrajectoryWriter(run_dir / TRAJECTORY_FILENAME, rid) as w:
        w.emit(RunStart(run_id=rid, ts=clock.tick(), task_id=f"{spec.kernel}-{spec.mode}-{spec.target}",
                        kernel=spec.kernel, mode=spec.mode, target=spec.target, variant="default", team=spec.team,
                        tier=spec.tier, models=models, budgets={"iterations": spec.iteration_budget},
                        szagents_version="synthetic"))
        for number, step in enumerate(spec.steps, start=1):
            role = "baseline" if step.calls == 0 else ("translator" if spec.mode == "translate" and best is None else "optimizer")
            sha = f"{number:064x}"
            calls = _agent_turns(w, clock, spec, step, role, calls, number, sha)
            _harness(w, clock, spec, step, "validator", number, step.tc)
            correct = step.verdict == "ok"
            score = (step.tc or 0.0) * (step.td or 0.0) if correct else -1.0
            if correct and score > best_score:
                best, best_score = number, score
            diff = _save_revision(run_dir, spec, number, step, previous)
            previous = _source(spec, number, step.action)
            w.emit(RevisionEvent(run_id=rid, ts=clock.tick(), number=number, role=role, action=step.action,
                                 sha256=sha, files=["kernel.c"], verdict=step.verdict, correct=correct,
                                 compress_gbps=step.tc if correct else None, decompress_gbps=step.td if correct else None,
                                 ratio=step.ratio if correct else None, is_best=best == number, diff=diff))
        _end(w, clock, spec, calls, best)
    return run_dir


def _end(w: TrajectoryWriter, clock: _Clock, spec: SyntheticRun, calls: int, best: int | None) -> None:
    """The run_end event with totals and the best revision's numbers."""
    step = spec.steps[best - 1] if best else None
    w.emit(RunEnd(run_id=spec.run_id, ts=clock.tick(), stop_reason=spec.stop_reason, iterations={"optimizer": calls},
                  input_tokens=sum(1000 + 500 * i for i in range(1, calls + 1)), output_tokens=200 * calls,
                  wall_seconds=(clock.now - spec.start).total_seconds(), best_revision=best,
                  best_compress_gbps=step.tc if step else None, best_decompress_gbps=step.td if step else None,
                  best_ratio=step.ratio if step else None))


_MODELS = ("openai:gpt-5.1-codex", "google_genai:gemini-2.5-pro")
_GPU_VERDICTS = ("ok",) * 6 + ("compile_error", "compile_error", "bound_violation", "crash", "timeout", "size_error")


def _gpu_steps(rng: random.Random, count: int) -> tuple[SyntheticStep, ...]:
    """A baseline and count optimization steps on cuda: a noisy walk of Tc/Td with some failures."""
    tc, td, ratio = float(rng.uniform(50, 900)), float(rng.uniform(100, 900)), float(rng.choice([2.15, 4.75, 15.87]))
    steps = [SyntheticStep("Baseline", tc=tc, td=td, ratio=ratio, calls=0, bandwidth_fraction=tc / 900)]
    for i in range(count):
        verdict = str(rng.choice(_GPU_VERDICTS))
        tc, td = tc * float(rng.uniform(0.75, 1.35)), td * float(rng.uniform(0.8, 1.3))
        own = tuple(tc * float(rng.uniform(0.95, 1.05)) for _ in range(int(rng.randrange(0, 3))))
        steps.append(SyntheticStep(f"Optimization {i + 1}", verdict=verdict, tc=tc, td=td, ratio=ratio,
                                   calls=len(own) + int(rng.randrange(1, 4)), own_tc=own,
                                   bandwidth_fraction=min(tc / 900, 1.0)))
    return tuple(steps)


def _cerebras_steps(rng: random.Random, count: int, runnable: bool) -> tuple[SyntheticStep, ...]:
    """Translation attempts on Cerebras: stalls and zero execution times, then (maybe) a runnable program."""
    steps = [SyntheticStep(f"CSL attempt {i + 1}", verdict=str(rng.choice(["compile_error", "stall", "zero_exec_time"])),
                           exec_time_s=0.0, calls=int(rng.randrange(1, 6))) for i in range(count)]
    if runnable:
        steps.append(SyntheticStep("Runnable CSL layout", exec_time_s=134.0, calls=int(rng.randrange(1, 6))))
    return tuple(steps)


def random_runs(count: int, seed: int = 0) -> list[SyntheticRun]:
    """count runs over models x tiers x kernels, mostly cuda optimizations, every fifth a Cerebras translation."""
    rng = random.Random(seed)
    runs = []
    for i in range(count):
        model, tier, kernel = _MODELS[i % 2], TIERS[(i // 2) % 3], ("szp", "szx")[(i // 6) % 2]
        common = dict(run_id=f"run{i:03d}", model=model, tier=tier, kernel=kernel, team=("single", "multi")[(i // 12) % 2],
                      payload_chars=6000, start=_EPOCH + timedelta(hours=i))
        if i % 5 == 4:
            steps = _cerebras_steps(rng, int(rng.randrange(2, 10)), runnable=model.startswith("openai"))
            runs.append(SyntheticRun(**common, steps=steps, mode="translate", target="cerebras",
                                     stop_reason="budget_iterations" if len(steps) > 6 else "agent_stop"))
        else:
            steps = _gpu_steps(rng, int(rng.randrange(4, 14)))
            runs.append(SyntheticRun(**common, steps=steps, target="cuda",
                                     stop_reason=str(rng.choice(["agent_stop", "plateau", "budget_iterations"]))))
    return runs


def write_sweep(root: Path, count: int, seed: int = 0) -> list[Path]:
    """Write random_runs(count, seed) under root; return the run folders."""
    return [write_run(root, spec) for spec in random_runs(count, seed)]
