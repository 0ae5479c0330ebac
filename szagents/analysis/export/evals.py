"""Runs as Inspect eval logs: one eval per configuration (task x model x tier x team, as the report groups them),
each run a sample, written and read back through inspect_ai.log's own API."""

from __future__ import annotations

import hashlib
import re
import statistics
import warnings
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from inspect_ai.log import (EvalConfig, EvalDataset, EvalLog, EvalMetric, EvalPlan, EvalPlanStep, EvalResults,
                            EvalSample, EvalScore, EvalSpec, EvalStats, write_eval_log)
from inspect_ai.model import ModelConfig, ModelUsage
from pydantic import BaseModel, ConfigDict

from szagents.analysis.export.samples import SCORER, run_sample
from szagents.analysis.export.transcript import inspect_model
from szagents.analysis.loading.runs import CONFIG_COLUMNS, load_runs
from szagents.errors import InputError
from szagents.trajectory import TrajectoryWarning, read_run

__all__ = ["ExportResult", "NOT_RECORDED", "export_inspect"]

NOT_RECORDED = ("Not in trajectory.jsonl, so not in the export: the system prompt and the brief (each sample's input "
                "is the task statement instead), the tool schemas the model was offered, and validator feedback past "
                "the 200 characters node_exit keeps; model inputs are rebuilt from the recorded replies, tool results "
                "and feedback. The run folders' files (revisions/, best/, workspace/, checkpoints.sqlite) are not "
                "copied: each sample's metadata names its run folder.")


class ExportResult(BaseModel):
    """What export_inspect wrote: one file per eval, how many runs, and what the export left out."""

    model_config = ConfigDict(frozen=True)

    files: list[Path]
    runs: int
    left_out: list[str]


def _events(run_dir: Path) -> tuple[list, list[str]]:
    """The run's events and, as left-out notes, the lines the reader had to skip."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", TrajectoryWarning)
        events = read_run(run_dir)
    return events, [f"{run_dir.name}: {w.message}" for w in caught if issubclass(w.category, TrajectoryWarning)]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.+-]+", "-", text).strip("-")[:60] or "x"


def _metrics(samples: list[EvalSample]) -> dict[str, EvalMetric]:
    """Success rate over the runs; medians of the best revision's numbers over the runs that succeeded."""
    values = [s.scores[SCORER].value for s in samples if s.scores]
    metrics = {"success_rate": EvalMetric(name="success_rate", value=statistics.mean(float(v["correct"]) for v in values))}
    for key in ("compress_gbps", "decompress_gbps", "ratio"):
        known = [v[key] for v in values if v["correct"] and v[key] is not None]
        if known:
            metrics[f"median_{key}"] = EvalMetric(name=f"median_{key}", value=statistics.median(known),
                                                  metadata={"n": len(known)})
    return metrics


def _usage(samples: list[EvalSample]) -> dict[str, ModelUsage]:
    total: dict[str, ModelUsage] = {}
    for sample in samples:
        for model, usage in sample.model_usage.items():
            total[model] = total[model] + usage if model in total else usage
    return total


def _spec(key: dict[str, Any], samples: list[EvalSample], eval_id: str, left_out: list[str]) -> EvalSpec:
    """The eval's header: task, models by role, budgets as Inspect's limits, szagents' versions."""
    first = samples[0].metadata["szagents"]
    models, budgets = first["models"], first["budgets"]
    author = models.get("translator") or models.get("optimizer") or next(iter(models.values()))
    return EvalSpec(
        eval_id=eval_id, run_id=eval_id, created=min(s.started_at for s in samples), task=key["task"], task_id=eval_id,
        task_attribs={k: first[k] for k in ("kernel", "mode", "target", "variant")},
        task_args={"tier": key["tier"], "team": key["team"]}, solver=f"szagents/{key['team']}",
        dataset=EvalDataset(name=key["task"], samples=len(samples), sample_ids=[str(s.id) for s in samples]),
        model=inspect_model(author), model_roles={r: ModelConfig(model=inspect_model(m)) for r, m in models.items()},
        config=EvalConfig(token_limit=int(budgets["tokens"]) if budgets.get("tokens") else None,
                          time_limit=int(budgets["wall_seconds"]) if budgets.get("wall_seconds") else None,
                          turn_limit=int(budgets["iterations"]) if budgets.get("iterations") else None),
        packages={"szagents": ", ".join(sorted({s.metadata["szagents"]["szagents_version"] for s in samples}))},
        tags=["szagents", key["tier"], key["team"]],
        metadata={"szagents": {"configuration": key, "models": models, "left_out": left_out,
                               "run_dirs": [s.metadata["szagents"]["run_dir"] for s in samples]}})


def _eval_log(key: dict[str, Any], samples: list[EvalSample], left_out: list[str]) -> EvalLog:
    eval_id = hashlib.sha256(repr(sorted(key.items())).encode()).hexdigest()[:22]
    ended = [s.completed_at for s in samples if s.completed_at]
    results = EvalResults(total_samples=len(samples), completed_samples=len(ended), scores=[
        EvalScore(name=SCORER, scorer=SCORER, scored_samples=len(samples), metrics=_metrics(samples))])
    plan = EvalPlan(name="szagents", steps=[EvalPlanStep(solver=f"szagents/{key['team']}",
                                                         params={"models": samples[0].metadata["szagents"]["models"]})])
    stats = EvalStats(started_at=min(s.started_at for s in samples), completed_at=max(ended) if ended else "",
                      model_usage=_usage(samples))
    return EvalLog(status="success", eval=_spec(key, samples, eval_id, left_out), plan=plan, results=results,
                   stats=stats, samples=samples)


def export_inspect(paths: Iterable[Path], out: Path, fmt: Literal["eval", "json"] = "eval") -> ExportResult:
    """Write the runs under paths (run folders, or folders holding them) as Inspect eval logs into out."""
    runs = load_runs(list(paths))
    if not len(runs):
        raise InputError(f"no run folders (folders with trajectory.jsonl) under {', '.join(map(str, paths))}")
    out.mkdir(parents=True, exist_ok=True)
    files, noted = [], [NOT_RECORDED]
    for values, group in runs.runs.groupby(CONFIG_COLUMNS, sort=True, dropna=False):
        key = {k: str(v) for k, v in zip(CONFIG_COLUMNS, values)}
        samples, skipped = [], []
        for row in group.to_dict("records"):
            events, unread = _events(Path(row["run_dir"]))
            skipped += unread
            samples.append(run_sample(row, events, unread))
        started = datetime.fromisoformat(min(s.started_at for s in samples)).strftime("%Y-%m-%dT%H-%M-%S")
        name = "_".join([started, _slug(key["task"]), _slug(key["model"]), key["tier"], _slug(key["team"])])
        path = out / f"{name}.{fmt}"
        write_eval_log(_eval_log(key, samples, [NOT_RECORDED, *skipped]), path, format=fmt)
        files.append(path)
        noted += skipped
    return ExportResult(files=files, runs=len(runs), left_out=noted)
