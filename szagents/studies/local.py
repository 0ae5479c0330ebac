"""Local executor: N runs at once in threads (their LLM calls overlap), one benchmark per device at a time."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass

from szagents.studies.attempt import prepare_checkpointers, run_or_resume
from szagents.run.config import RunConfig
from szagents.studies.ledger import Ledger
from szagents.tasks.slots import bench_slots_env

__all__ = ["Job", "LocalExecutor"]


@dataclass(frozen=True)
class Job:
    """One run to bring to an end, and the model providers it calls."""

    config: RunConfig
    providers: tuple[str, ...]


class LocalExecutor:
    """Runs jobs on a thread pool; provider semaphores cap runs per provider; a cost budget stops launches."""

    def __init__(self, concurrency: int, limits: dict[str, int] | None = None, retries: int = 1,
                 cost_budget_usd: float | None = None) -> None:
        self.concurrency, self.retries, self.cost_budget_usd = concurrency, retries, cost_budget_usd
        self.limits = {p: threading.BoundedSemaphore(n) for p, n in (limits or {}).items()}

    def run(self, jobs: list[Job], ledger: Ledger, slots: str | None = None) -> None:
        """Bring every job to an end (done, failed after retries, or skipped by the cost budget)."""
        prepare_checkpointers(job.config for job in jobs)
        with bench_slots_env(slots), ThreadPoolExecutor(self.concurrency, thread_name_prefix="szagents-run") as pool:
            for future in [pool.submit(self._one, job, ledger) for job in jobs]:
                future.result()

    def _over_budget(self, ledger: Ledger) -> bool:
        return self.cost_budget_usd is not None and ledger.spent_usd() >= self.cost_budget_usd

    def _one(self, job: Job, ledger: Ledger) -> None:
        run_id = job.config.run_id
        with ExitStack() as held:
            for provider in sorted(set(job.providers)):  # one order everywhere: no deadlock
                if provider in self.limits:
                    held.enter_context(self.limits[provider])
            for _ in range(1 + self.retries):
                if self._over_budget(ledger):
                    ledger.set(run_id, "skipped", f"study cost budget ${self.cost_budget_usd:g} spent")
                    return
                ledger.set(run_id, "running")
                try:
                    run_or_resume(job.config, observer=lambda event: ledger.observe(run_id, event))
                except Exception as exc:  # a run's failure must not stop the study; it is retried, then reported
                    ledger.set(run_id, "failed", f"{type(exc).__name__}: {exc}")
                    continue
                ledger.set(run_id, "done")
                return
