"""Tables of studies: repeats grouped per cell (medians with bootstrap intervals, Wilson success intervals),
cells that differ in one factor compared with a test and an effect size (the figure: figures/study.py)."""

from __future__ import annotations

import itertools
import math

import pandas as pd

from szagents.analysis.loading.runs import Runs, recorded_cost_usd
from szagents.analysis.stats import Comparison, bootstrap_median, compare_rates, compare_samples, wilson
from szagents.analysis.tables.display import Cell, Table, fmt_joules, fmt_num, short_model, with_sdk

__all__ = ["CELL_COLUMNS", "FACTORS", "is_study", "cell_summary", "study_table", "study_comparisons",
           "set_comparisons", "comparison_table"]

CELL_COLUMNS = ["task", "backend", "model", "tier", "team", "sdk_version"]
FACTORS = ["tier", "team", "model", "backend", "sdk_version"]
"""A comparison varies one of these and holds the other cell columns fixed."""


def is_study(runs: Runs) -> bool:
    """Whether some cell has repeats (then the report groups them)."""
    return len(runs) > 0 and bool((runs.runs.groupby(CELL_COLUMNS).size() >= 2).any())


def _costs(runs: Runs) -> pd.Series:
    """Dollars per run as its run_end recorded them (tokens x the price table in force then)."""
    return runs.runs["run_dir"].map(recorded_cost_usd)


def cell_summary(runs: Runs) -> pd.DataFrame:
    """One row per cell: n, successes with a Wilson interval, median best Tc/Td with bootstrap intervals
    (successful runs), median iterations to first correct, median tokens, total cost."""
    frame = runs.runs.assign(cost_usd=_costs(runs))
    rows = []
    for key, group in frame.groupby(CELL_COLUMNS, sort=True):
        good = group[group["success"]]
        rate = wilson(int(group["success"].sum()), len(group))
        tc, td = bootstrap_median(good["best_tc_gbps"]), bootstrap_median(good["best_td_gbps"])
        first = good["first_correct_iteration"].astype(float)
        rows.append({**dict(zip(CELL_COLUMNS, key)), "n": len(group), "successes": int(group["success"].sum()),
                     "success_rate": rate.estimate, "success_low": rate.low, "success_high": rate.high,
                     "tc_median_gbps": tc.estimate, "tc_low_gbps": tc.low, "tc_high_gbps": tc.high,
                     "td_median_gbps": td.estimate, "td_low_gbps": td.low, "td_high_gbps": td.high,
                     "tc_joules_per_gb_median": float(good["tc_joules_per_gb"].astype(float).median()),
                     "td_joules_per_gb_median": float(good["td_joules_per_gb"].astype(float).median()),
                     "first_correct_iterations_median": float(first.median()) if len(first.dropna()) else math.nan,
                     "tokens_median": float(group["tokens"].median()), "cost_usd": float(group["cost_usd"].sum(min_count=1))})
    return pd.DataFrame(rows)


def _ci(row: pd.Series, key: str) -> str:
    if row["successes"] == 0:
        return "—"
    bounds = f" [{row[f'{key}_low_gbps']:.3g}, {row[f'{key}_high_gbps']:.3g}]" if not math.isnan(row[f"{key}_low_gbps"]) else ""
    return f"{row[f'{key}_median_gbps']:.3g}{bounds}"


def study_table(runs: Runs) -> Table:
    """The study's cells: repeats grouped, each number with its interval and n."""
    data = cell_summary(runs)
    rows = [[Cell(r["task"]), Cell(with_sdk(r["backend"], r["sdk_version"])), Cell(short_model(r["model"])),
             Cell(r["tier"]), Cell(r["team"]), Cell(str(r["n"])),
             Cell(f"{r['successes']}/{r['n']} [{r['success_low']:.0%}, {r['success_high']:.0%}]"),
             Cell(_ci(r, "tc")), Cell(_ci(r, "td")),
             Cell(fmt_joules(r["tc_joules_per_gb_median"], r["td_joules_per_gb_median"])),
             Cell(fmt_num(r["first_correct_iterations_median"], 1)),
             Cell(fmt_num(r["cost_usd"], 2))] for _, r in data.iterrows()]
    notes = ["Per cell (task × backend and its SDK × model × tier × team) over its repeats: success with a 95 % "
             "Wilson interval; "
             "median best Tc/Td of the successful runs (GB/s) with a 95 % percentile-bootstrap interval (none with "
             "fewer than 2 runs); median J/GB (compression/decompression) of the successful runs' best revisions "
             "where the GPU's energy counter measured it (a dash elsewhere); median LLM calls to the first correct "
             "revision; total cost as the runs' run_end events recorded it."]
    # Intervals may wrap between the median and its bounds (right-aligned cells never wrap): left-aligned.
    return Table("study_cells", "Study cells (repeats grouped)",
                 ["Task", "Backend", "Model", "Tier", "Team", "n", "Success", "Tc median [95% CI]",
                  "Td median [95% CI]", "J/GB median (c/d)", "Iter. to 1st correct", "Cost $"], rows, data,
                 align="lllllrlllrrr", notes=notes)


def _pairs(frame: pd.DataFrame, factor: str) -> list[tuple[tuple, pd.DataFrame, pd.DataFrame, str, str]]:
    """Cells that differ only in factor: (fixed values, runs of A, runs of B, level A, level B)."""
    fixed = [c for c in CELL_COLUMNS if c != factor]
    found = []
    for key, group in frame.groupby(fixed, sort=True):
        levels = sorted(group[factor].unique())
        for la, lb in itertools.combinations(levels, 2):
            found.append((key, group[group[factor] == la], group[group[factor] == lb], la, lb))
    return found


def study_comparisons(runs: Runs) -> list[tuple[str, tuple, Comparison]]:
    """(factor, fixed cell values, comparison) for success and best Tc/Td of every pair of cells one factor apart."""
    out = []
    for factor in FACTORS:
        for key, a, b, la, lb in _pairs(runs.runs, factor):
            labels = (str(la), str(lb))
            out.append((factor, key, compare_rates(int(a["success"].sum()), len(a), int(b["success"].sum()), len(b),
                                                   labels=labels)))
            for column, name in (("best_tc_gbps", "best Tc"), ("best_td_gbps", "best Td")):
                out.append((factor, key, compare_samples(a.loc[a["success"], column], b.loc[b["success"], column],
                                                         name, labels)))
    return out


def set_comparisons(a: Runs, b: Runs, labels: tuple[str, str]) -> list[tuple[str, tuple, Comparison]]:
    """Two sets of runs (`report --compare A B`), per task both ran: success and best Tc/Td tested."""
    out = []
    for task in sorted(set(a.runs["task"]) & set(b.runs["task"])):
        ra, rb = a.runs[a.runs["task"] == task], b.runs[b.runs["task"] == task]
        out.append((f"{labels[0]} vs {labels[1]}", (task,), compare_rates(int(ra["success"].sum()), len(ra), int(rb["success"].sum()),
                                                   len(rb), labels=labels)))
        for column, name in (("best_tc_gbps", "best Tc"), ("best_td_gbps", "best Td")):
            out.append((f"{labels[0]} vs {labels[1]}", (task,), compare_samples(ra.loc[ra["success"], column], rb.loc[rb["success"], column],
                                                        name, labels)))
    return out


_TESTS_NOTE = ("Throughput: medians of successful runs, Cliff's delta (−1…1, > 0: B is faster) and a two-sided "
               "Mann–Whitney U test; success: rate difference and Fisher's exact test. 'Within noise' means p ≥ 0.05.")


def comparison_table(runs: Runs, found: list[tuple[str, tuple, Comparison]] | None = None) -> Table:
    """Every pair of cells one factor apart (or, given found, those comparisons): estimates, effect, test, verdict."""
    one_factor = found is None
    found = study_comparisons(runs) if found is None else found
    data = pd.DataFrame([{"factor": f, "fixed": " / ".join(str(v) for v in k if v != ""), **c.model_dump()}
                         for f, k, c in found])
    rows = []
    for f, key, c in found:
        fmt = (lambda v: f"{v:.0%}") if c.metric == "success rate" else (lambda v: f"{v:.3g}")
        rows.append([Cell(f), Cell(" / ".join(short_model(str(v)) for v in key if v != "")), Cell(c.metric),
                     Cell(f"{c.label_a}: {fmt(c.estimate_a)} (n={c.n_a})" if c.n_a else f"{c.label_a}: —"),
                     Cell(f"{c.label_b}: {fmt(c.estimate_b)} (n={c.n_b})" if c.n_b else f"{c.label_b}: —"),
                     Cell(fmt_num(c.effect, 2)), Cell(fmt_num(c.p_value, 3)),
                     Cell(c.statement, css="" if c.within_noise else "up")])
    if not one_factor:
        return Table("compare_tests", "Comparison tests (A vs B, per task)",
                     ["Compared", "Task", "Metric", "A", "B", "Effect", "p", "Verdict"], rows, data, align="lllllrrl",
                     notes=[_TESTS_NOTE])
    notes = ["Cells one factor apart, others fixed (task / backend / model / tier / team / SDK minus the factor). "
             + _TESTS_NOTE]
    return Table("study_comparisons", "Study comparisons (one factor at a time)",
                 ["Factor", "Fixed", "Metric", "A", "B", "Effect", "p", "Verdict"], rows, data,
                 align="lllllrrl", notes=notes)
