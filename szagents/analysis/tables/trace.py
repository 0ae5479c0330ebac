"""Per-step optimization traces in the study's form (Tables II and III): Step, Tc, Td, Ratio, Action."""

from __future__ import annotations

import math

import pandas as pd

from szagents.analysis.loading.runs import Runs
from szagents.analysis.tables.display import Cell, Table, fmt_gbps, fmt_joules, fmt_num, revision_anchor

__all__ = ["trace_data", "trace_table", "trace_tables", "UP", "DOWN", "STAR"]

UP, DOWN, STAR = "↑", "↓", "★"

_COLUMNS = {"tc": ("compress_gbps_median", fmt_gbps), "td": ("decompress_gbps_median", fmt_gbps),
            "ratio": ("ratio_median", fmt_num)}


def _changes(values: list[float], shown: list[str]) -> list[str]:
    """'up'/'down'/'' per step against the previous step that had a value (equal as displayed: no arrow)."""
    out, previous = [], None
    for value, text in zip(values, shown):
        if math.isnan(value):
            out.append("")
            continue
        if previous is None or previous[1] == text:
            out.append("")
        else:
            out.append("up" if value > previous[0] else "down")
        previous = (value, text)
    return out


def _best(values: list[float]) -> list[bool]:
    """True at the first step that reaches the column's maximum."""
    finite = [v for v in values if not math.isnan(v)]
    if not finite:
        return [False] * len(values)
    top = max(finite)
    first = values.index(top)
    return [i == first for i in range(len(values))]


def trace_data(revisions: pd.DataFrame) -> pd.DataFrame:
    """One run's steps: medians of Tc, Td and ratio per step, the change from the previous step, the best marks."""
    steps = revisions.sort_values("number")
    data = pd.DataFrame({"run": steps["run"], "step": steps["number"], "action": steps["action"],
                         "verdict": steps["verdict"], "correct": steps["runnable"],
                         "measurements": steps["measurements"],
                         "tc_joules_per_gb": steps["compress_joules_per_gb_median"].astype(float),
                         "td_joules_per_gb": steps["decompress_joules_per_gb_median"].astype(float)})
    shown = steps["runnable"] | (steps["verdict"] == "ratio_regression")  # below the floor: measured, shown, never best
    for short, (column, fmt) in _COLUMNS.items():
        values = [v if ok else math.nan for v, ok in zip(steps[column].astype(float), shown)]
        data[short] = values
        if short != "ratio":
            data[f"{short}_change"] = _changes(values, [fmt(v) for v in values])
        data[f"{short}_best"] = _best([v if ok else math.nan for v, ok in zip(values, steps["runnable"])])
    return data.reset_index(drop=True)


def _cell(row: pd.Series, short: str) -> Cell:
    """A Tc/Td/ratio cell with its arrow, star and CSS class."""
    _, fmt = _COLUMNS[short]
    change = row.get(f"{short}_change", "")
    marks = " ".join(m for m in ({"up": UP, "down": DOWN}.get(change, ""), STAR if row[f"{short}_best"] else "") if m)
    css = "best" if row[f"{short}_best"] else change
    return Cell(fmt(row[short]), marks=marks, css=css)


def trace_table(runs: Runs, run: str) -> Table:
    """The trace table of one run (arrows: change from the previous measured step; ★: best value of the column)."""
    info = runs.runs.loc[runs.runs["run"] == run].iloc[0]
    data = trace_data(runs.revisions[runs.revisions["run"] == run])
    energy = bool(data[["tc_joules_per_gb", "td_joules_per_gb"]].notna().to_numpy().any())  # else the study's form
    rows = []
    for _, row in data.iterrows():
        action = row["action"] if row["correct"] else f"{row['action']} [{row['verdict']}]"
        joules = [Cell(fmt_joules(row["tc_joules_per_gb"], row["td_joules_per_gb"]))] if energy else []
        rows.append([Cell(str(row["step"]), anchor=revision_anchor(run, row["step"])), _cell(row, "tc"),
                     _cell(row, "td"), *joules, _cell(row, "ratio"), Cell(action, css="" if row["correct"] else "bad")])
    title = f"Optimization trace of {run} ({info['model']}, {info['tier']}, {info['task']})"
    header = ["Step", "Tc (GB/s)", "Td (GB/s)", *(["J/GB (c/d)"] if energy else []), "Ratio", "Action"]
    energy_note = " J/GB: the GPU board's energy per GB while the timed calls ran (NVML)." if energy else ""
    return Table("trace", title, header, rows, data, align="rrrrrl" if energy else "rrrrl",
                 notes=[f"{UP}/{DOWN}: change from the previous measured step; {STAR}: best value of the column among "
                        "correct steps; medians over every measurement of a step's code; [verdict]: the step failed "
                        "([ratio_regression]: measured, but below the task's ratio floor, so never best)."
                        + energy_note])


def trace_tables(runs: Runs) -> list[Table]:
    """A trace table for every run that recorded at least one revision."""
    with_steps = set(runs.revisions["run"])
    return [trace_table(runs, run) for run in runs.runs["run"] if run in with_steps]

