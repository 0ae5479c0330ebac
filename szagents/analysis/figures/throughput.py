"""The study's figures from runs: Fig. 2 (throughput per model x tier), Fig. 3 (vs iterations), Fig. 4 (per step)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from szagents.analysis.figures.plotting import (
    FigureFile, empty, group_keys, grouped_bars, integer_ticks, model_colors, new_figure, panel_width, save, short_model,
    zero_based,
)
from szagents.analysis.loading.runs import Runs

__all__ = ["throughput_figure", "iterations_figure", "steps_figure", "measured_runs", "step_runs"]

_MARKERS = "osD^vP*X"
_STEP_WIDTH, _STEP_HEIGHT, _TITLE_POINTS = 5.5, 4.0, 9
"""Size of one run's panel in the per-step figure (inches) and its title's font size (points)."""


def measured_runs(runs: Runs) -> pd.DataFrame:
    """Successful runs with a measured throughput (Cerebras runs report execution time instead)."""
    frame = runs.runs
    return frame[frame["success"] & (frame["best_tc_gbps"].notna() | frame["best_td_gbps"].notna())]


def _panels(frame: pd.DataFrame) -> list[tuple[str, str]]:
    """(kernel, backend) pairs in sorted order."""
    return sorted({(k, b) for k, b in zip(frame["kernel"], frame["backend"])})


def throughput_figure(runs: Runs, folder: Path) -> FigureFile:
    """Fig. 2: best compression and decompression GB/s per model x tier, one panel per kernel (and backend)."""
    frame = measured_runs(runs)
    panels = _panels(frame)
    keys = group_keys(frame)
    groups = frame.groupby(keys).ngroups if len(frame) else 0
    fig, axes = new_figure(len(panels), width=panel_width(groups))
    for ax, (kernel, backend) in zip(axes, panels):
        here = frame[(frame["kernel"] == kernel) & (frame["backend"] == backend)]
        grouped_bars(ax, here, ["best_tc_gbps", "best_td_gbps"], ["compression", "decompression"], "GB/s", keys)
        ax.set_title(f"{kernel.upper()} on {backend}")
    if not panels:
        empty(axes[0], "no run reached a measured correct version")
    caption = ("Throughput per model and prompt tier (and team, when the runs have several): the best correct "
               "revision's GB/s, median over the n runs of each group (whiskers: min-max).")
    return save(fig, folder, "fig2_throughput", caption)


def iterations_figure(runs: Runs, folder: Path) -> FigureFile:
    """Fig. 3: best compression / decompression GB/s against reasoning iterations (LLM calls), per run."""
    frame = measured_runs(runs)
    fig, axes = new_figure(2)
    colors = model_colors(runs.runs["model"])
    kernels = sorted(set(runs.runs["kernel"]))
    for ax, (column, title) in zip(axes, [("best_tc_gbps", "compression"), ("best_td_gbps", "decompression")]):
        for (model, kernel), group in frame.groupby(["model", "kernel"]):
            ax.scatter(group["iterations"], group[column], color=colors[model], alpha=0.8,
                       marker=_MARKERS[kernels.index(kernel) % len(_MARKERS)],
                       label=f"{short_model(model)} / {kernel}")
        ax.set_title(f"{title} vs reasoning iterations")
        ax.set_xlabel("reasoning iterations (LLM calls)")
        ax.set_ylabel("GB/s")
        ax.grid(alpha=0.3)
        if frame.empty:
            empty(ax, "no measured runs")
        else:
            integer_ticks(ax.xaxis)
            zero_based(ax)
            zero_based(ax, "x")
            ax.legend(fontsize=7)
    return save(fig, folder, "fig3_iterations", "Best throughput of each run against its reasoning iterations.")


def step_runs(runs: Runs, limit: int = 6) -> list[str]:
    """The runs with the most measured correct steps (ties: label order), at most limit."""
    good = runs.revisions[runs.revisions["runnable"] & runs.revisions["compress_gbps_median"].notna()]
    counts = good.groupby("run").size()
    counts = counts[counts >= 2].sort_index().sort_values(ascending=False, kind="stable")
    return list(counts.index[:limit])


def _plot_steps(ax, strip, steps: pd.DataFrame) -> list:  # noqa: ANN001 - matplotlib Axes
    """Tc and Td lines and the ratio (twin axis) on ax, all from zero; failed steps as crosses on the strip below.
    Returns the legend handles."""
    ok = steps[steps["runnable"]]
    handles = ax.plot(ok["number"], ok["compress_gbps_median"], "o-", label="Tc (compression)", color="#1f77b4")
    handles += ax.plot(ok["number"], ok["decompress_gbps_median"], "s-", label="Td (decompression)", color="#ff7f0e")
    ax.set_ylabel("GB/s")
    ax.grid(alpha=0.3)
    zero_based(ax)
    twin = ax.twinx()
    handles += twin.plot(ok["number"], ok["ratio_median"], "^--", color="#2ca02c", label="compression ratio")
    twin.set_ylabel("compression ratio")
    zero_based(twin)
    failed = steps[~steps["runnable"]]
    handles.append(strip.scatter(failed["number"], [0] * len(failed), marker="x", color="#d62728",
                                 label="failed step (not measured)", zorder=3))
    strip.set_yticks([0], ["failed"])
    strip.set_ylim(-1, 1)
    strip.set_xlabel("step")
    strip.grid(axis="x", alpha=0.3)
    integer_ticks(strip.xaxis)
    ax.tick_params(labelbottom=False)
    return handles


def _step_axes(count: int) -> tuple[Figure, list[tuple[object, object]]]:
    """A figure with one (throughput axis, failed-step strip) pair per run, two runs per row."""
    cols = min(max(count, 1), 2)
    rows = -(-max(count, 1) // cols)
    fig = Figure(figsize=(_STEP_WIDTH * cols, _STEP_HEIGHT * rows), layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2 * rows, cols, height_ratios=[6, 1] * rows)
    pairs = []
    for i in range(max(count, 1)):
        row, col = divmod(i, cols)
        ax = fig.add_subplot(grid[2 * row, col])
        pairs.append((ax, fig.add_subplot(grid[2 * row + 1, col], sharex=ax)))
    return fig, pairs


def _step_title(run: str, row: pd.Series) -> str:
    """The panel title, wrapped to the panel's width: run id, then model, tier, kernel and backend."""
    chars = int(_STEP_WIDTH * 72 / (_TITLE_POINTS * 0.62))  # a character is about 0.6 em wide
    about = f"{short_model(row['model'])}, {row['tier']}, {row['kernel']} on {row['backend']}"
    return "\n".join([*textwrap.wrap(run, chars, break_on_hyphens=True), *textwrap.wrap(about, chars)])


def steps_figure(runs: Runs, folder: Path, limit: int = 6) -> FigureFile:
    """Fig. 4: Tc, Td (medians per step) and ratio across the optimization steps of the most-measured runs."""
    chosen = step_runs(runs, limit)
    fig, pairs = _step_axes(len(chosen))
    info = runs.runs.set_index("run")
    for (ax, strip), run in zip(pairs, chosen):
        handles = _plot_steps(ax, strip, runs.revisions[runs.revisions["run"] == run].sort_values("number"))
        ax.set_title(_step_title(run, info.loc[run]), fontsize=_TITLE_POINTS)
    if chosen:  # one legend for every panel, above them, where it hides no data
        fig.legend(handles, [h.get_label() for h in handles], loc="outside upper center", ncols=4, fontsize=8)
    else:
        empty(pairs[0][0], "no run has two measured correct steps")
        pairs[0][1].set_visible(False)
    caption = (f"Throughput and ratio across optimization steps (up to {limit} runs with the most measured steps), "
               "both axes from zero; failed steps (not measured) are the crosses on the row below each panel.")
    return save(fig, folder, "fig4_steps", caption)
