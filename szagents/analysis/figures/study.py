"""The figure of a study: median best throughput per cell over its repeats, with bootstrap intervals as error bars."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from szagents.analysis.figures.plotting import FigureFile, empty, new_figure, save, short_model
from szagents.analysis.loading.runs import Runs
from szagents.analysis.tables.display import with_sdk
from szagents.analysis.tables.study import cell_summary

__all__ = ["study_figure"]


def study_figure(runs: Runs, folder: Path) -> FigureFile:
    """Median best Tc and Td per cell with 95 % bootstrap intervals as error bars, one panel per task x backend."""
    data = cell_summary(runs)
    panels = list(data.groupby(["task", "backend"], sort=True)) if len(data) else []
    fig, axes = new_figure(len(panels), width=6.0)
    if not panels:
        empty(axes[0], "no runs")
    for ax, ((task, backend), group) in zip(axes, panels):
        x = np.arange(len(group))
        for i, (key, label) in enumerate((("tc", "Tc"), ("td", "Td"))):
            median = group[f"{key}_median_gbps"].to_numpy(float)
            low = np.nan_to_num(median - group[f"{key}_low_gbps"].to_numpy(float))
            high = np.nan_to_num(group[f"{key}_high_gbps"].to_numpy(float) - median)
            ax.bar(x + (i - 0.5) * 0.4, median, 0.4, yerr=np.vstack([low, high]), capsize=3, label=label)
        ax.set_xticks(x, [with_sdk(f"{short_model(r.model)}\n{r.tier}/{r.team}", r.sdk_version) + f"\nn={r.n}"
                          for r in group.itertuples()], fontsize=7)
        ax.set_title(f"{task} ({backend})", fontsize=9)
        ax.set_ylabel("GB/s (median, 95 % CI)")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8)
    return save(fig, folder, "study_cells", "Median best throughput per cell over its repeats; error bars: 95 % "
                "percentile-bootstrap intervals of the median (none with fewer than 2 successful runs).")
