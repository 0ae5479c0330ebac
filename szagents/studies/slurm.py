"""Slurm executor through submitit: one job-array task per run, a GPU bound to each run whose backend needs one.

`szagents study STUDY.toml --executor slurm` submits from a login node and waits for the arrays,
updating the study table as tasks end (interrupt it and run it again: finished runs are skipped,
interrupted ones resume from their checkpoint). Slurm gives each run that needs a GPU one of its own
(`--gpus-per-node`), so GPU timings never share a device; CPU benchmarks of jobs packed on one node
take a node-local lock (`$TMPDIR/szagents-bench-slots`). The [slurm] table of the study file sets
the partition, account, CPUs, memory, time and setup lines (e.g. activating the environment).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import submitit
from rich.console import Console

from szagents.backends.registry import needs_gpu
from szagents.models.pricing import ENV_VAR as PRICES_VAR
from szagents.studies.attempt import prepare_checkpointers, run_remote
from szagents.studies.local import Job
from szagents.studies.plan import Plan
from szagents.studies.grid import SlurmSettings
from szagents.tasks.catalog import get_task
from szagents.tasks.slots import ENV_VAR as SLOTS_VAR

__all__ = ["slurm_parameters", "submit_arrays", "run_on_slurm", "SUBMITIT_FOLDER"]

SUBMITIT_FOLDER = ".submitit"


def _on_gpu(job: Job) -> bool:
    return needs_gpu(job.config.backend or get_task(job.config.task).target)


def slurm_parameters(settings: SlurmSettings, wall_seconds: float, gpus: int, parallelism: int,
                     name: str) -> dict[str, Any]:
    """submitit parameters of one job array (all of its runs share the GPU need and the wall budget)."""
    setup = [f"export {SLOTS_VAR}=${{TMPDIR:-/tmp}}/szagents-bench-slots"]
    if os.environ.get(PRICES_VAR):
        setup.append(f"export {PRICES_VAR}={os.environ[PRICES_VAR]}")
    params: dict[str, Any] = {
        "name": name, "timeout_min": settings.time_min or int(wall_seconds // 60) + 10,
        "cpus_per_task": settings.cpus_per_run, "mem_gb": settings.mem_gb, "tasks_per_node": 1, "nodes": 1,
        "slurm_array_parallelism": parallelism, "slurm_setup": [*setup, *settings.setup],
        "slurm_additional_parameters": dict(settings.sbatch),
    }
    if gpus:
        params["gpus_per_node"] = gpus
    for key in ("partition", "account", "qos"):
        if getattr(settings, key):
            params[f"slurm_{key}"] = getattr(settings, key)
    return params


def submit_arrays(plan: Plan, executor: Any) -> list[tuple[Job, Any]]:
    """Submit the plan's jobs as job arrays (one per GPU need) through a submitit executor; (job, submitit job)."""
    settings = plan.study.slurm
    jobs = plan.jobs()
    submitted: list[tuple[Job, Any]] = []
    for on_gpu in (False, True):
        group = [j for j in jobs if _on_gpu(j) == on_gpu]
        if not group:
            continue
        gpus = settings.gpus_per_run if settings.gpus_per_run is not None else int(on_gpu)
        wall = max(j.config.budgets.wall_seconds for j in group)
        executor.update_parameters(**slurm_parameters(settings, wall, gpus, plan.study.study.concurrency,
                                                      f"szagents-{plan.study.study.name}"))
        handles = executor.map_array(run_remote, [j.config.model_dump_json() for j in group])
        submitted.extend(zip(group, handles))
    return submitted


def _wait(plan: Plan, submitted: list[tuple[Job, Any]], console: Console) -> None:
    pending = list(submitted)
    while pending:
        for job, handle in [p for p in pending if p[1].done()]:
            pending.remove((job, handle))
            try:
                result = handle.result()
            except Exception as exc:  # the task died (killed, out of memory, timeout): the run stays resumable
                result = {"status": "failed", "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"}
            plan.ledger.settle(job.config.run_id, result["status"], result["error"])
            console.print(f"{result['status']}: {job.config.run_id} (slurm job {handle.job_id}) {result['error']}".rstrip(),
                          highlight=False)
        time.sleep(2.0 if pending else 0)


def run_on_slurm(plan: Plan, console: Console) -> None:
    """Submit every unfinished run as a Slurm job-array task and wait for them all."""
    folder = Path(plan.study.study.runs_dir) / SUBMITIT_FOLDER / "%j"
    executor = submitit.AutoExecutor(folder=folder, cluster="slurm")
    prepare_checkpointers(job.config for job in plan.jobs())
    submitted = submit_arrays(plan, executor)
    for job, handle in submitted:
        plan.ledger.set(job.config.run_id, "running")
    console.print(f"slurm: {len(submitted)} runs submitted as job arrays "
                  f"({', '.join(sorted({str(h.job_id).split('_')[0] for _, h in submitted}))})", highlight=False)
    _wait(plan, submitted, console)
