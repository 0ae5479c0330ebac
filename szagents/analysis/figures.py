"""The study's figures from runs: Fig. 2 (throughput per model x tier), Fig. 3 (vs iterations), Fig. 4 (per step)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from szagents.analysis._plot import FigureFile, empty, grouped_bars, model_colors, new_figure, save, short_model
from szagents.analysis.load import Runs

__all__ = ["throughput_figure", "iterations_figure", "steps_figure", "measured_runs", "step_runs"]

_MARKERS = "osD^vP*X"


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
    fig, axes = new_figure(len(panels), width=max(4.5, 1.1 * frame.groupby(["model", "tier"]).ngroups + 1.5))
    for ax, (kernel, backend) in zip(axes, panels):
        here = frame[(frame["kernel"] == kernel) & (frame["backend"] == backend)]
        grouped_bars(ax, here, ["best_tc_gbps", "best_td_gbps"], ["compression", "decompression"], "GB/s")
        ax.set_title(f"{kernel.upper()} on {backend}")
    if not panels:
        empty(axes[0], "no run reached a measured correct version")
    caption = ("Throughput per model and prompt tier: the best correct revision's GB/s, median over repeats "
               "(whiskers: min-max).")
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
            ax.legend(fontsize=7)
    return save(fig, folder, "fig3_iterations", "Best throughput of each run against its reasoning iterations.")


def step_runs(runs: Runs, limit: int = 6) -> list[str]:
    """The runs with the most measured correct steps (ties: label order), at most limit."""
    good = runs.revisions[runs.revisions["runnable"] & runs.revisions["compress_gbps_median"].notna()]
    counts = good.groupby("run").size()
    counts = counts[counts >= 2].sort_index().sort_values(ascending=False, kind="stable")
    return list(counts.index[:limit])


def _plot_steps(ax, steps: pd.DataFrame) -> None:  # noqa: ANN001 - a matplotlib Axes
    """Tc and Td lines, failed steps as crosses, and the ratio on a twin axis."""
    ok = steps[steps["runnable"]]
    ax.plot(ok["number"], ok["compress_gbps_median"], "o-", label="Tc (compression)", color="#1f77b4")
    ax.plot(ok["number"], ok["decompress_gbps_median"], "s-", label="Td (decompression)", color="#ff7f0e")
    failed = steps[~steps["runnable"]]
    ax.scatter(failed["number"], [0] * len(failed), marker="x", color="#d62728", label="failed step", zorder=3)
    ax.set_xlabel("step")
    ax.set_ylabel("GB/s")
    ax.grid(alpha=0.3)
    twin = ax.twinx()
    twin.plot(ok["number"], ok["ratio_median"], "^--", color="#2ca02c", label="ratio")
    twin.set_ylabel("compression ratio")
    lines = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(lines, [line.get_label() for line in lines], fontsize=7, loc="upper left")


def steps_figure(runs: Runs, folder: Path, limit: int = 6) -> FigureFile:
    """Fig. 4: Tc, Td (medians per step) and ratio across the optimization steps of the most-measured runs."""
    chosen = step_runs(runs, limit)
    fig, axes = new_figure(len(chosen), width=5.5, columns=min(max(len(chosen), 1), 2))
    info = runs.runs.set_index("run")
    for ax, run in zip(axes, chosen):
        _plot_steps(ax, runs.revisions[runs.revisions["run"] == run].sort_values("number"))
        row = info.loc[run]
        ax.set_title(f"{run}: {short_model(row['model'])}, {row['tier']}, {row['kernel']} on {row['backend']}", fontsize=9)
    if not chosen:
        empty(axes[0], "no run has two measured correct steps")
    caption = (f"Throughput and ratio across optimization steps (up to {limit} runs with the most measured steps; "
               "x: failed steps).")
    return save(fig, folder, "fig4_steps", caption)
