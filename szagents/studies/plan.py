"""A study's plan: every run with its cell and status, what is left to do, and its worst-case budget."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from szagents.models.pricing import PriceTable, load_prices
from szagents.studies.ledger import Ledger, RunRecord
from szagents.studies.local import Job
from szagents.studies.grid import StudyFile, runs_of
from szagents.tasks.catalog import get_task

__all__ = ["WorstCase", "Plan", "plan_study"]


class WorstCase(BaseModel):
    """What the runs still to do may spend at most, if each uses its whole budget."""

    model_config = ConfigDict(frozen=True)

    runs: int
    llm_calls: int
    tokens: int
    cost_usd: float | None  # None: a model has no price
    run_hours: float  # sum of the runs' wall budgets
    wall_hours: float  # run_hours / concurrency: the study's wall time at worst
    unpriced_models: list[str]


class Plan:
    """The study's runs (records, jobs) and its prices."""

    def __init__(self, study: StudyFile, prices: PriceTable) -> None:
        self.study, self.prices = study, prices
        pairs = runs_of(study, {t: get_task(t).budgets for t in study.grid.task})
        self.configs = {config.run_id: (cell, config) for cell, config in pairs}
        self.ledger = Ledger([RunRecord(run_id=c.run_id, cell=cell.name, run_dir=Path(c.runs_dir) / c.run_id)
                              for cell, c in pairs], prices)
        self.ledger.load()

    def jobs(self) -> list[Job]:
        """Runs not finished yet, in study order (repeats interleaved)."""
        return [Job(config, tuple(cell.providers)) for run_id, (cell, config) in self.configs.items()
                if self.ledger.records[run_id].status != "done"]

    def worst_case(self) -> WorstCase:
        """Worst-case budget of the runs left (tokens priced at the dearer of input and output)."""
        cost: float | None = 0.0
        unpriced: set[str] = set()
        calls = tokens = 0
        seconds = 0.0
        for job in self.jobs():
            budgets = job.config.budgets
            calls, tokens, seconds = calls + budgets.iterations, tokens + budgets.tokens, seconds + budgets.wall_seconds
            for model in set(job.config.team.models().values()):
                price = self.prices.lookup(model)
                if price is None:
                    unpriced.add(model)
                elif cost is not None:
                    cost += budgets.tokens * max(price.input_per_mtok, price.output_per_mtok) / 1e6
        return WorstCase(runs=len(self.jobs()), llm_calls=calls, tokens=tokens,
                         cost_usd=None if unpriced else cost, run_hours=seconds / 3600,
                         wall_hours=seconds / 3600 / self.study.study.concurrency, unpriced_models=sorted(unpriced))


def plan_study(study: StudyFile) -> Plan:
    """The plan of a study file, with the status of runs already on disk."""
    return Plan(study, load_prices(study.study.prices))
