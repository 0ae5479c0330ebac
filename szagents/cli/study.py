"""`szagents study STUDY.toml`: run a grid of cells x repeats, resumably, with a live table of cells.

Register on the main app with `app.command("study")(study_command)`.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from szagents.errors import InputError

if TYPE_CHECKING:  # the run machinery (LangGraph, models) loads only when a study runs
    from szagents.studies.ledger import Ledger
    from szagents.studies.plan import Plan

__all__ = ["study_command", "cell_table"]

console = Console()


def _money(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f}"


def cell_table(ledger: Ledger, title: str = "") -> Table:
    """One row per cell: runs by status, tokens and cost so far, median best GB/s of finished runs."""
    table = Table(title=title or None)
    table.add_column("cell", overflow="fold", ratio=3)
    for name in ("n", "done", "run", "fail", "skip", "tokens", "cost $", "GB/s"):  # GB/s: median best compress
        table.add_column(name, justify="right", no_wrap=True)
    with ledger.lock:
        for cell, records in ledger.by_cell().items():
            count = {s: sum(r.status == s for r in records) for s in ("done", "running", "failed", "skipped")}
            costs = [ledger.cost(r) for r in records]
            best = [r.best_gbps for r in records if r.status == "done" and r.best_gbps is not None]
            table.add_row(cell, str(len(records)), *(str(count[s]) for s in count),
                          f"{sum(r.total_tokens() for r in records):,}",
                          _money(None if None in costs else sum(c for c in costs if c is not None)),
                          f"{statistics.median(best):.3f}" if best else "-")
    return table


def _dry_run(plan: Plan) -> None:
    console.print(cell_table(plan.ledger, f"study {plan.study.study.name}: {len(plan.configs)} runs"))
    worst = plan.worst_case()
    cost = f"${worst.cost_usd:,.2f}" if worst.cost_usd is not None else f"unknown (no price for {', '.join(worst.unpriced_models)})"
    console.print(f"left to run: {worst.runs} runs; worst case {worst.llm_calls:,} LLM calls, {worst.tokens:,} tokens, "
                  f"cost {cost}, {worst.run_hours:.1f} run-hours = {worst.wall_hours:.1f} h of wall time at "
                  f"concurrency {plan.study.study.concurrency}", highlight=False)
    for provider, limit in plan.study.rate_limits.items():
        console.print(f"rate limit {provider}: {limit.describe()} (shared by all the study's runs)", highlight=False)
    if plan.study.study.cost_budget_usd is not None:
        console.print(f"study cost budget: ${plan.study.study.cost_budget_usd:,.2f} (no new run starts once spent)")


@contextmanager
def _prices_env(path: Path | None) -> Iterator[None]:
    """Run end records price tokens with the study's price file."""
    from szagents.models.pricing import ENV_VAR as PRICES_VAR

    before = os.environ.get(PRICES_VAR)
    if path is not None:
        os.environ[PRICES_VAR] = str(path)
    try:
        yield
    finally:
        if path is not None:
            os.environ.pop(PRICES_VAR, None) if before is None else os.environ.__setitem__(PRICES_VAR, before)


def _title(plan: Plan) -> str:
    """Study name and dollars spent (of the budget, if any)."""
    settings = plan.study.study
    budget = f" of ${settings.cost_budget_usd:,.2f}" if settings.cost_budget_usd is not None else ""
    return f"{settings.name}: ${plan.ledger.spent_usd():,.2f} spent{budget}"


def _run_local(plan: Plan, concurrency: int, slots: str | None) -> None:
    settings = plan.study.study
    from rich.live import Live

    from szagents.studies.local import LocalExecutor

    executor = LocalExecutor(concurrency, plan.study.limits, settings.retries, settings.cost_budget_usd)
    done = threading.Event()
    worker = threading.Thread(target=lambda: (executor.run(plan.jobs(), plan.ledger, slots), done.set()), daemon=True)
    with Live(cell_table(plan.ledger, _title(plan)), console=console, refresh_per_second=2) as live:
        worker.start()
        while not done.wait(0.5) and worker.is_alive():
            live.update(cell_table(plan.ledger, _title(plan)))
        live.update(cell_table(plan.ledger, _title(plan)))
    console.print()
    worker.join()


def _run(plan: Plan, executor: str, concurrency: int, address: Optional[str], slots: Optional[str]) -> None:
    if executor == "local":
        _run_local(plan, concurrency, slots)
    elif executor == "ray":
        from szagents.studies.ray_executor import run_on_ray  # optional extra: imported only when chosen

        run_on_ray(plan, address=address, workers=concurrency, console=console)
        console.print(cell_table(plan.ledger, _title(plan)))
    elif executor == "slurm":
        from szagents.studies.slurm import run_on_slurm  # optional extra: imported only when chosen

        run_on_slurm(plan, console=console)
        console.print(cell_table(plan.ledger, _title(plan)))
    else:
        raise InputError(f"unknown --executor {executor!r}; use local, ray or slurm")


def study_command(
    study_file: Annotated[Path, typer.Argument(help="study TOML: [study] name, runs_dir, repeats, budget; [grid] task, model, tier, team, target")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list the cells and the worst-case budget; run nothing")] = False,
    executor: Annotated[str, typer.Option(help="local (threads on this machine), ray (a Ray cluster) or slurm (submitit job array)")] = "local",
    concurrency: Annotated[Optional[int], typer.Option(help="runs at once (default: the study file's concurrency)")] = None,
    address: Annotated[Optional[str], typer.Option(help="Ray cluster address (ray executor; default: start a local one)")] = None,
    slots: Annotated[Optional[str], typer.Option(help="benchmark slot spec: a lock folder (default: the cache's bench-slots/)")] = None,
) -> None:
    """Run every cell x repeat of a study (finished runs skipped, interrupted ones resumed); live table of cells."""
    from szagents.studies.plan import plan_study
    from szagents.studies.grid import load_study

    study = load_study(study_file)
    plan = plan_study(study)
    if dry_run:
        _dry_run(plan)
        return
    if concurrency is not None and concurrency < 1:
        raise InputError(f"--concurrency {concurrency} must be at least 1")
    start = time.perf_counter()
    with _prices_env(study.study.prices):
        _run(plan, executor, concurrency or study.study.concurrency, address, slots)
    failed = [r for r in plan.ledger.records.values() if r.status in ("failed", "skipped")]
    for record in failed:
        console.print(f"{record.status}: {record.run_id}: {record.error}", highlight=False)
    console.print(f"study {study.study.name}: {len(plan.ledger.records)} runs in {study.study.runs_dir} "
                  f"({time.perf_counter() - start:.1f} s); report: szagents report {study.study.runs_dir}", highlight=False)
    raise typer.Exit(1 if failed else 0)
