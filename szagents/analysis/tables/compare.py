"""Two sets of runs side by side (single vs multi agent, model vs model): outcomes, spread over repeats, differences."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from szagents.analysis.loading.runs import Runs
from szagents.analysis.tables.display import Cell, Table, fmt_gbps, fmt_int, fmt_num

__all__ = ["compare", "METRICS", "FEW_RUNS", "CAUTION"]

METRICS = (
    ("success_rate", "success rate", "all"),
    ("best_tc_gbps", "best Tc (GB/s)", "success"),
    ("best_td_gbps", "best Td (GB/s)", "success"),
    ("iterations", "iterations", "all"),
    ("tokens", "tokens", "all"),
    ("wall_seconds", "wall time (s)", "all"),
    ("first_correct_iteration", "iterations to first correct", "success"),
)
"""(column, label, which runs count: all of them or the successful ones)."""

_STATS = ("n", "median", "q1", "q3", "min", "max")
FEW_RUNS = 3
"""Below this many runs on a side a ratio is marked with a caution (CAUTION)."""
CAUTION = "†"


def _stats(values: pd.Series) -> dict[str, float]:
    """n, median, quartiles and range of the finite values (NaN when there are none)."""
    data = values.astype(float).to_numpy()
    data = data[np.isfinite(data)]
    if not len(data):
        return {"n": 0, **{k: math.nan for k in _STATS[1:]}}
    q1, median, q3 = np.percentile(data, [25, 50, 75])
    return {"n": len(data), "median": median, "q1": q1, "q3": q3, "min": data.min(), "max": data.max()}


def _metric(frame: pd.DataFrame, column: str, which: str) -> dict[str, float]:
    """Stats of one metric over a set's runs (success rate: the fraction, no spread)."""
    if column == "success_rate":
        rate = frame["success"].mean() if len(frame) else math.nan
        return {"n": len(frame), "median": rate, "q1": rate, "q3": rate, "min": rate, "max": rate}
    rows = frame[frame["success"]] if which == "success" else frame
    return _stats(rows[column])


def _rows(task: str, a: pd.DataFrame, b: pd.DataFrame) -> list[dict[str, object]]:
    """One tidy row per metric for one task: both sets' stats, difference and ratio."""
    out = []
    for column, label, which in METRICS:
        sa, sb = _metric(a, column, which), _metric(b, column, which)
        diff = sb["median"] - sa["median"]
        ratio = sb["median"] / sa["median"] if sa["median"] not in (0, 0.0) else math.nan
        out.append({"task": task, "metric": label, **{f"a_{k}": v for k, v in sa.items()},
                    **{f"b_{k}": v for k, v in sb.items()}, "difference": diff, "ratio": ratio})
    return out


def _fmt(value: float, metric: str) -> str:
    """A metric's value formatted for display."""
    if metric == "success rate":
        return "—" if math.isnan(value) else f"{value:.0%}"
    if metric == "tokens":
        return fmt_int(value)
    return fmt_gbps(value) if "GB/s" in metric else fmt_num(value, 1)


def _spread(row: pd.Series, side: str) -> str:
    """'median [q1–q3] (min–max), n=N' of one side of a row."""
    metric = row["metric"]
    if row[f"{side}_n"] == 0:
        return "—"
    median = _fmt(row[f"{side}_median"], metric)
    if metric == "success rate":
        return f"{median} of {int(row[f'{side}_n'])}"
    n = int(row[f"{side}_n"])
    if n == 1:
        return f"{median}, n=1"
    fmt = lambda key: _fmt(row[f"{side}_{key}"], metric)  # noqa: E731
    return f"{median} [{fmt('q1')}–{fmt('q3')}] ({fmt('min')}–{fmt('max')}), n={n}"


def _ratio(row: pd.Series) -> Cell:
    """'B/A (n = N each)' or '(n = NA / NB)', with a caution mark when a side has fewer than FEW_RUNS runs."""
    text = fmt_num(row["ratio"], 2)
    if math.isnan(row["ratio"]):
        return Cell(text)
    na, nb = int(row["a_n"]), int(row["b_n"])
    text += f" (n = {na} each)" if na == nb else f" (n = {na} / {nb})"
    return Cell(text, marks=CAUTION if min(na, nb) < FEW_RUNS else "")


def compare(a: Runs, b: Runs, labels: tuple[str, str] = ("A", "B")) -> Table:
    """Per task both sets ran (else over all runs), each metric for a and b: median [IQR] (min-max), difference, ratio."""
    tasks = sorted(set(a.runs["task"]) & set(b.runs["task"]))
    rows = [r for t in tasks for r in _rows(t, a.runs[a.runs["task"] == t], b.runs[b.runs["task"] == t])]
    if not tasks:
        rows = _rows("(all tasks)", a.runs, b.runs)
    columns = ["task", "metric", *(f"{s}_{k}" for s in "ab" for k in _STATS), "difference", "ratio"]
    data = pd.DataFrame(rows, columns=columns)
    cells = []
    for _, row in data.iterrows():
        diff = row["difference"]
        sign = "" if math.isnan(diff) or diff <= 0 else "+"
        diff_text = f"{sign}{diff * 100:.0f} pts" if row["metric"] == "success rate" and not math.isnan(diff) \
            else sign + _fmt(diff, row["metric"])
        cells.append([Cell(row["task"]), Cell(row["metric"]), Cell(_spread(row, "a")), Cell(_spread(row, "b")),
                      Cell(diff_text, css="up" if sign else ("down" if diff < 0 else "")),
                      _ratio(row)])
    notes = [f"{labels[0]}: {len(a)} runs; {labels[1]}: {len(b)} runs; tasks both ran are compared (all runs when "
             "they share none). Cells: median [interquartile range] "
             "(min–max) over repeats; throughput and first-correct over successful runs only. "
             f"Difference and ratio: {labels[1]} against {labels[0]} (medians), n: the runs behind each side."]
    if any(c[-1].marks for c in cells):
        notes.append(f"{CAUTION} fewer than {FEW_RUNS} runs on a side: agents are not deterministic, so such a ratio "
                     "compares single runs (or medians of two) and is no evidence of a difference; repeat the runs.")
    return Table("compare", f"Comparison: {labels[0]} vs {labels[1]}",
                 ["Task", "Metric", labels[0], labels[1], f"{labels[1]} − {labels[0]}", f"{labels[1]} / {labels[0]}"],
                 cells, data, align="llllrr", notes=notes)
