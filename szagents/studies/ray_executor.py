"""Ray executor: each run a Ray task; benchmarks serialized per node and device by slot actors.

`szagents study STUDY.toml --executor ray [--address HOST:PORT]`. Without an address a local Ray
is started with `--concurrency` CPUs. Run folders must be on storage every node sees (the study's
runs_dir, e.g. NFS); a run that may move between nodes should use the study's Postgres
checkpointer (`checkpoint = "postgresql://..."`), since a SQLite file on NFS is not safe to share.
Multi-node: `ray start --head` on one machine, `ray start --address HEAD:6379` on the others (same
Python environment with szagents installed, same path to runs_dir), then run the study on the head
with `--address HEAD:6379`. A run asks for 1 CPU, and for `gpus_per_run` of a GPU on cuda targets.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import ray
from rich.console import Console

from szagents.backends.registry import needs_gpu
from szagents.models.pricing import ENV_VAR as PRICES_VAR
from szagents.studies.attempt import prepare_checkpointers, run_remote
from szagents.studies.ledger import scan_trajectory
from szagents.studies.local import Job
from szagents.studies.plan import Plan
from szagents.studies.ray_slots import slot_holds
from szagents.tasks.catalog import get_task
from szagents.tasks.slots import ENV_VAR as SLOTS_VAR
from szagents.trajectory.reader import TRAJECTORY_FILENAME

__all__ = ["run_on_ray", "HOLDS_FILE"]

HOLDS_FILE = "bench_slot_holds.jsonl"
GPUS_PER_RUN = 0.25  # runs share a GPU for compiles and validation; the slot actor serializes timings


def _submit(job: Job, namespace: str) -> Any:
    env = {SLOTS_VAR: f"ray:{namespace}"}
    if os.environ.get(PRICES_VAR):
        env[PRICES_VAR] = os.environ[PRICES_VAR]
    gpus = GPUS_PER_RUN if needs_gpu(job.config.backend or get_task(job.config.task).target) else 0
    remote = ray.remote(run_remote).options(num_cpus=1, num_gpus=gpus, max_retries=0,
                                           runtime_env={"env_vars": env})
    return remote.remote(job.config.model_dump_json())


def _refresh(plan: Plan, running: dict[Any, Job]) -> None:
    """Tokens of running runs, read from their trajectories on shared storage."""
    for job in running.values():
        record = plan.ledger.records[job.config.run_id]
        tokens, _ = scan_trajectory(record.run_dir / TRAJECTORY_FILENAME)
        with plan.ledger.lock:
            record.tokens = tokens


def _drive(plan: Plan, workers: int, namespace: str, console: Console) -> None:
    """Keep `workers` runs in flight; retry failures; stop launching when the cost budget is spent."""
    settings = plan.study.study
    queue = [(job, 0) for job in plan.jobs()]
    prepare_checkpointers(job.config for job, _ in queue)
    running: dict[Any, tuple[Job, int]] = {}
    while queue or running:
        budget_spent = settings.cost_budget_usd is not None and plan.ledger.spent_usd() >= settings.cost_budget_usd
        while queue and len(running) < workers and not budget_spent:
            job, tries = queue.pop(0)
            plan.ledger.set(job.config.run_id, "running")
            running[_submit(job, namespace)] = (job, tries)
        if budget_spent:
            for job, _ in queue:
                plan.ledger.set(job.config.run_id, "skipped", f"study cost budget ${settings.cost_budget_usd:g} spent")
            queue = []
        if not running:
            break
        ready, _ = ray.wait(list(running), num_returns=1, timeout=2.0)
        _refresh(plan, {k: v[0] for k, v in running.items()})
        for ref in ready:
            job, tries = running.pop(ref)
            result = ray.get(ref)
            plan.ledger.settle(job.config.run_id, result["status"], result["error"])
            console.print(f"{result['status']}: {job.config.run_id} {result['error']}".rstrip(), highlight=False)
            if result["status"] == "failed" and tries < settings.retries:
                queue.append((job, tries + 1))


def _save_holds(plan: Plan, namespace: str) -> None:
    """Write the slot actors' holds beside the runs (the proof that timings never overlapped), then end them."""
    holds = slot_holds(namespace)
    path = Path(plan.study.study.runs_dir) / HOLDS_FILE
    with open(path, "a") as handle:
        for hold in holds:
            handle.write(json.dumps(hold) + "\n")
    for info in ray.util.list_named_actors(all_namespaces=True):
        if info["namespace"] == namespace:
            ray.kill(ray.get_actor(info["name"], namespace=namespace))


def run_on_ray(plan: Plan, address: str | None, workers: int, console: Console) -> None:
    """Run the plan's jobs as Ray tasks on the cluster at address (default: a local Ray with `workers` CPUs)."""
    Path(plan.study.study.runs_dir).mkdir(parents=True, exist_ok=True)
    namespace = f"szagents-{plan.study.study.name}-{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    if address:
        ray.init(address=address, namespace=namespace, log_to_driver=False)
    else:
        ray.init(num_cpus=workers, namespace=namespace, log_to_driver=False, include_dashboard=False)
    try:
        cpus = int(ray.cluster_resources().get("CPU", workers))
        _drive(plan, min(workers, cpus) if address is None else max(workers, 1), namespace, console)
        _save_holds(plan, namespace)
    finally:
        ray.shutdown()
    console.print(f"ray: {len(plan.ledger.records)} runs in {time.perf_counter() - started:.1f} s", highlight=False)
