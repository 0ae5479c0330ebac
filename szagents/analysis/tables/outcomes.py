"""The report's tables: per-run summary, success rates, Cerebras runnability (Table I), failure modes, phases."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from szagents.analysis.loading.runs import CONFIG_COLUMNS, Runs
from szagents.analysis.loading.taxonomy import FAILURE_MODES, PHASES, tier_rank
from szagents.analysis.tables.display import (DASH, Cell, Table, fmt_gbps, fmt_int, fmt_joules, fmt_num, revision_anchor,
                                     run_anchor, with_sdk)
from szagents.analysis.tables.paper import paper_backend
from szagents.trajectory import TRAJECTORY_FILENAME

__all__ = ["summary_table", "success_table", "runnability_table", "failure_table", "phase_table", "sort_configs",
           "BUDGET_MARK", "NOT_RUNNABLE_MARK"]

BUDGET_MARK, NOT_RUNNABLE_MARK = "†", "✗"


def sort_configs(frame: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """frame sorted by model, tier (study order), then the remaining configuration columns."""
    columns = [c for c in (columns or [*CONFIG_COLUMNS, "run"]) if c in frame]
    key = lambda col: col.map(tier_rank) if col.name == "tier" else col.astype(str)  # noqa: E731
    return frame.sort_values(columns, key=key, kind="stable").reset_index(drop=True)


def summary_table(runs: Runs) -> Table:
    """One row per run: configuration, iterations, tokens, wall time, success, best revision's Tc/Td/ratio, stop reason."""
    columns = ["run", "model", "tier", "team", "task", "iterations", "tokens", "wall_seconds", "success",
               "best_tc_gbps", "best_td_gbps", "tc_joules_per_gb", "td_joules_per_gb", "best_ratio",
               "first_correct_iteration", "stop_reason"]
    data = sort_configs(runs.runs)[columns]
    rows = [[Cell(r.run, anchor=run_anchor(r.run)), Cell(r.model), Cell(r.tier), Cell(r.team), Cell(r.task),
             Cell(fmt_int(r.iterations)), Cell(fmt_int(r.tokens)), Cell(fmt_num(r.wall_seconds, 1)),
             Cell("yes" if r.success else "no", css="" if r.success else "bad"), Cell(fmt_gbps(r.best_tc_gbps)),
             Cell(fmt_gbps(r.best_td_gbps)), Cell(fmt_joules(r.tc_joules_per_gb, r.td_joules_per_gb)),
             Cell(fmt_num(r.best_ratio)), Cell(fmt_int(r.first_correct_iteration)),
             Cell(r.stop_reason)] for r in data.itertuples()]
    header = ["Run", "Model", "Tier", "Team", "Task", "Iterations", "Tokens", "Wall (s)", "Success", "Best Tc (GB/s)",
              "Best Td (GB/s)", "Best J/GB (c/d)", "Best ratio", "First correct at", "Stop"]
    notes = ["Best Tc/Td/ratio: the run's best revision (its final answer, chosen on the task's objective among "
             "revisions at or above the ratio floor), all three from that one revision; J/GB: the GPU board's energy "
             "per GB while the timed calls ran (NVML), compression/decompression, a dash where none was measured; "
             "first correct at: LLM calls up to the first correct revision the agent wrote."]
    return Table("summary", "Runs", header, rows, data, align="lllllrrrlrrrrrl", notes=notes)


def success_table(runs: Runs) -> Table:
    """Success rate and median outcomes per configuration (model x tier x task x team)."""
    frame = runs.runs
    grouped = frame.groupby(CONFIG_COLUMNS, sort=False).agg(
        runs=("run", "size"), successes=("success", "sum"), median_best_tc_gbps=("best_tc_gbps", "median"),
        median_best_td_gbps=("best_td_gbps", "median"), median_iterations=("iterations", "median"),
        median_first_correct_iteration=("first_correct_iteration", "median"),
    ).reset_index() if len(frame) else pd.DataFrame(columns=[*CONFIG_COLUMNS, "runs", "successes"])
    grouped["success_rate"] = grouped["successes"] / grouped["runs"]
    data = sort_configs(grouped)
    rows = [[Cell(r.model), Cell(r.tier), Cell(with_sdk(r.task, r.sdk_version)), Cell(r.team),
             Cell(f"{int(r.successes)}/{int(r.runs)} ({r.success_rate:.0%})"), Cell(fmt_gbps(r.median_best_tc_gbps)),
             Cell(fmt_gbps(r.median_best_td_gbps)), Cell(fmt_num(r.median_iterations, 1)),
             Cell(fmt_num(r.median_first_correct_iteration, 1))] for r in data.itertuples()]
    header = ["Model", "Tier", "Task", "Team", "Success", "Median best Tc", "Median best Td", "Median iterations",
              "Median first correct at"]
    return Table("success", "Success rate per configuration", header, rows, data, align="llllrrrrr")


def runnability_table(runs: Runs, backend: str | None = None) -> Table:
    """Table I: model, task, prompt tier, reasoning iterations and runtime execution time of each run on backend
    (default: the backend of the paper's Table I)."""
    backend = backend or paper_backend("table1")
    frame = runs.runs[runs.runs["backend"] == backend]
    columns = ["run", "model", "kernel", "task", "tier", "iterations", "budget_exhausted", "exec_time_s", "success",
               "sdk_version"]
    data = sort_configs(frame, ["sdk_version", "model", "kernel", "tier", "run"])[columns].rename(
        columns={"success": "runnable"})
    rows, previous = [], None
    for r in data.itertuples():
        exec_text = f"{r.exec_time_s:.4g}" if pd.notna(r.exec_time_s) else "—"
        rows.append([Cell(r.model if r.model != previous else ""), Cell(r.kernel, anchor=run_anchor(r.run)),
                     Cell(r.tier.capitalize()), Cell(fmt_int(r.iterations), marks=BUDGET_MARK if r.budget_exhausted else ""),
                     Cell(exec_text, marks="" if r.runnable else NOT_RUNNABLE_MARK, css="" if r.runnable else "bad"),
                     Cell(r.sdk_version or DASH)])
        previous = r.model
    notes = [f"{BUDGET_MARK} reasoning budget exhausted. {NOT_RUNNABLE_MARK} no runnable program (no correct revision, "
             "or the runtime reported zero execution time). Exec. time: the device time of the final revision "
             "(compression + decompression medians), else of the last measured one. SDK: the version that compiled "
             "and ran the run's programs (rows are grouped by it; ' + ' joins the versions of a run that saw several)."]
    return Table("runnability", f"Code generation on {backend} (Table I form)",
                 ["Model", "Task", "Prompt", "Reasoning", "Exec. time (s)", "SDK"], rows, data, align="lllrrl",
                 notes=notes)


def _failure_data(runs: Runs) -> pd.DataFrame:
    """Long form: model, tier, backend, failure mode, count, one example (run, revision, path)."""
    info = runs.runs.set_index("run")[["model", "tier", "backend", "sdk_version", "run_dir", "success",
                                       "budget_exhausted"]]
    failed = runs.revisions[runs.revisions["failure"].notna()].join(info, on="run")
    failed = failed.assign(example=[str(Path(d) / p) for d, p in zip(failed["run_dir"], failed["path"])])
    budget = info[info["budget_exhausted"] & ~info["success"]].reset_index()
    budget = budget.assign(failure="budget exhausted", number=pd.NA,
                           example=[str(Path(d) / TRAJECTORY_FILENAME) for d in budget["run_dir"]])
    both = pd.concat([failed, budget], ignore_index=True)
    keys = ["model", "tier", "backend", "sdk_version", "failure"]
    if both.empty:
        return pd.DataFrame(columns=[*keys, "count", "example_run", "example_revision", "example_path"])
    return both.groupby(keys, sort=False).agg(
        count=("run", "size"), example_run=("run", "first"), example_revision=("number", "first"),
        example_path=("example", "first")).reset_index()


def _failure_cell(match: pd.DataFrame) -> Cell:
    """A count that links to its example revision (or run), or 0."""
    if match.empty:
        return Cell("0")
    row = match.iloc[0]
    anchor = revision_anchor(row.example_run, row.example_revision) if pd.notna(row.example_revision) \
        else run_anchor(row.example_run)
    return Cell(str(int(row["count"])), link=Path(row.example_path), anchor=anchor, css="bad")


def failure_table(runs: Runs) -> Table:
    """Failed revisions per failure mode (budget exhausted: failed runs) per model x tier x backend, with examples."""
    data = _failure_data(runs)
    modes = [*FAILURE_MODES, *sorted(set(data["failure"]) - set(FAILURE_MODES))]
    keys = ["model", "tier", "backend", "sdk_version"]
    groups = sort_configs(runs.runs, keys).groupby(keys, sort=False)
    rows = []
    for (model, tier, backend, sdk), members in groups:
        here = data[(data["model"] == model) & (data["tier"] == tier) & (data["backend"] == backend)
                    & (data["sdk_version"] == sdk)]
        rows.append([Cell(model), Cell(tier), Cell(with_sdk(backend, sdk)), Cell(str(len(members))),
                     *(_failure_cell(here[here["failure"] == mode]) for mode in modes)])
    notes = ["Counts are failed revisions, except 'budget exhausted': runs that hit a budget without a correct "
             "revision. Each count links to an example."]
    return Table("failures", "Failure modes per model, tier and backend", ["Model", "Tier", "Backend", "Runs", *modes],
                 rows, data, align="lllr" + "r" * len(modes), notes=notes)


def phase_table(runs: Runs) -> Table:
    """Where the LLM calls went, per configuration: shares of editing, compiling, debugging, tuning, other."""
    calls = runs.llm_calls.drop(columns=["model"]).join(runs.runs.set_index("run")[CONFIG_COLUMNS], on="run")
    counts = calls.groupby([*CONFIG_COLUMNS, "phase"]).size().unstack("phase", fill_value=0) if len(calls) else \
        pd.DataFrame(columns=list(PHASES))
    counts = counts.reindex(columns=list(PHASES), fill_value=0)
    total = counts.sum(axis=1)
    data = sort_configs(counts.div(total.where(total > 0, 1), axis=0).assign(calls=total).reset_index())
    rows = [[Cell(r["model"]), Cell(r["tier"]), Cell(with_sdk(r["task"], r["sdk_version"])), Cell(r["team"]),
             Cell(fmt_int(r["calls"])),
             *(Cell(f"{r[p]:.0%}") for p in PHASES)] for _, r in data.iterrows()]
    notes = ["debugging: calls after a failed revision or a failed check of the agent's own; tuning: after a correct "
             "revision; editing/compiling/other: before any result, by what the call asked for."]
    return Table("phases", "Where the iterations went", ["Model", "Tier", "Task", "Team", "Calls", *PHASES], rows, data,
                 align="llllr" + "r" * len(PHASES), notes=notes)
