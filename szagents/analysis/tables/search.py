"""The fast_p table of searches and teams (KernelBench): correct and at least p x the starting code's speed."""

from __future__ import annotations

import pandas as pd

from szagents.analysis.loading.runs import Runs
from szagents.analysis.loading.search import FAST_P, fast_p
from szagents.analysis.tables.display import Cell, Table, fmt_int

__all__ = ["fast_p_table"]


def _share(row: pd.Series, p: float) -> str:
    if not row["with_speedup"]:
        return "—"
    key = f"fast_{p:g}"
    return (f"{row[key]:.0%} [{row[key + '_low']:.0%}, {row[key + '_high']:.0%}] "
            f"({int(row[key + '_hits'])}/{int(row['with_speedup'])})")


def fast_p_table(runs: Runs) -> Table:
    """fast_p for p = 1, 1.5, 2 per strategy (team) and task, with 95 % Wilson intervals and their n."""
    data = fast_p(runs)
    rows = [[Cell(r["team"]), Cell(r["task"]), Cell(fmt_int(r["runs"])), Cell(fmt_int(r["with_speedup"])),
             *(Cell(_share(r, p)) for p in FAST_P)] for _, r in data.iterrows()]
    header = ["Strategy", "Task", "Runs", "With a measured start", *(f"fast_{p:g}" for p in FAST_P)]
    return Table("fast_p", "fast_p: correct and at least p x the starting code's compression GB/s (95 % Wilson)",
                 header, rows, data, align="llrrrrr")
