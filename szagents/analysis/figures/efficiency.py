"""Figures the study lacks: fractions of a reference kernel and of memory bandwidth, cost to the first correct
version, and where the iterations went."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from szagents.analysis.figures.plotting import (
    FigureFile, empty, group_keys, group_label, grouped_bars, integer_ticks, model_colors, new_figure, panel_width, save,
    zero_based,
)
from szagents.analysis.figures.throughput import measured_runs
from szagents.analysis.loading.runs import Runs
from szagents.analysis.loading.reference import reference_fractions
from szagents.analysis.loading.taxonomy import PHASES, tier_rank

__all__ = ["reference_figure", "bandwidth_figure", "first_correct_figure", "phases_figure"]

_PHASE_COLORS = {"editing": "#1f77b4", "compiling": "#9467bd", "debugging": "#d62728", "tuning": "#2ca02c",
                 "other": "#7f7f7f"}


def _fraction_panels(frame: pd.DataFrame, columns: list[str], ylabel: str, what: str):  # noqa: ANN202
    """Figure with one grouped-bar panel per kernel x backend of the fraction columns, a line at 1."""
    frame = frame.dropna(subset=columns, how="all")
    panels = sorted({(k, b) for k, b in zip(frame["kernel"], frame["backend"])})
    keys = group_keys(frame)
    fig, axes = new_figure(len(panels), width=panel_width(frame.groupby(keys).ngroups if len(frame) else 0, 5.0))
    for ax, (kernel, backend) in zip(axes, panels):
        here = frame[(frame["kernel"] == kernel) & (frame["backend"] == backend)]
        grouped_bars(ax, here, columns, ["compression", "decompression"], ylabel, keys)
        ax.axhline(1.0, color="#333333", linewidth=0.8, linestyle="--")
        zero_based(ax, headroom=0.25)  # again: the parity line stays in view, with room for the legend
        ax.set_title(f"{kernel.upper()} on {backend}")
    if not panels:
        empty(axes[0], f"no {what}")
    return fig


def reference_figure(runs: Runs, reference: pd.DataFrame, folder: Path) -> FigureFile:
    """Best Tc and Td of each successful run as a fraction of the reference kernel's, per model x tier."""
    fractions = reference_fractions(runs, reference)
    fractions = fractions[fractions["success"]]
    labels = ", ".join(sorted(set(fractions["reference"].dropna()))) or "none"
    fig = _fraction_panels(fractions, ["tc_fraction", "td_fraction"], "fraction of reference",
                           "reference numbers for these kernels")
    caption = f"Throughput as a fraction of the reference kernel ({labels}); dashed line: parity."
    return save(fig, folder, "fig_reference_fraction", caption)


def bandwidth_figure(runs: Runs, folder: Path) -> FigureFile:
    """The final revision's throughput as a fraction of the device's measured memory bandwidth (cuda)."""
    frame = measured_runs(runs)
    fig = _fraction_panels(frame, ["tc_bandwidth_fraction", "td_bandwidth_fraction"], "fraction of memory bandwidth",
                           "bandwidth measurements (GPU benchmarks report them)")
    return save(fig, folder, "fig_bandwidth_fraction",
                "Final revision's throughput as a fraction of the measured memory bandwidth; dashed line: the limit.")


def _strip(ax, frame: pd.DataFrame, column: str, ylabel: str, colors: dict[str, str]) -> None:  # noqa: ANN001
    """Points per run and a median tick per model x tier[ x team] group (n: its runs), on a zero-based axis."""
    keys = group_keys(frame)
    groups = sorted(frame.groupby(keys).groups, key=lambda k: (k[0], tier_rank(k[1]), *k[2:]))
    labels = []
    for x, key in enumerate(groups):
        values = frame[(frame[keys] == pd.Series(key, index=keys)).all(axis=1)][column].dropna().to_numpy(dtype=float)
        jitter = np.linspace(-0.15, 0.15, len(values)) if len(values) > 1 else np.zeros(len(values))
        ax.scatter(x + jitter, values, color=colors[key[0]], alpha=0.7, s=18)
        if len(values):
            ax.hlines(np.median(values), x - 0.3, x + 0.3, color="#333333", linewidth=1.5)
        labels.append(group_label(key, len(values)))
    ax.set_xticks(range(len(groups)), labels, fontsize=8)
    ax.set_xlim(-0.7, max(len(groups), 2) - 0.3)
    zero_based(ax)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)


def first_correct_figure(runs: Runs, folder: Path) -> FigureFile:
    """Tokens and wall time each run spent before its first correct version (bars: medians)."""
    frame = runs.runs[runs.runs["first_correct_iteration"].notna()]
    groups = frame.groupby(group_keys(frame)).ngroups if len(frame) else 0
    fig, axes = new_figure(2, width=panel_width(groups, least=5.0))
    colors = model_colors(runs.runs["model"])
    for ax, (column, label) in zip(axes, [("first_correct_tokens", "tokens"), ("first_correct_seconds", "wall time (s)")]):
        if frame.empty:
            empty(ax, "no run reached a correct version")
            continue
        _strip(ax, frame, column, label, colors)
        if column == "first_correct_tokens":
            integer_ticks(ax.yaxis)
        ax.set_title(f"{label} to the first correct version")
    caption = (f"Cost of the first correct version the agent wrote ({len(frame)} of {len(runs.runs)} runs got one); "
               "dots: runs, bars: medians.")
    return save(fig, folder, "fig_first_correct", caption)


def phases_figure(runs: Runs, folder: Path) -> FigureFile:
    """Share of LLM calls spent editing, compiling, debugging, tuning, per model x tier[ x team]."""
    keys = group_keys(runs.runs)
    calls = runs.llm_calls.drop(columns=["model"]).join(runs.runs.set_index("run")[keys], on="run")
    groups = calls.groupby(keys).ngroups if len(calls) else 0
    fig, axes = new_figure(1, width=7.0, height=max(3.6, 0.3 * groups + 1.4))  # a row of text per group
    ax = axes[0]
    if calls.empty:
        empty(ax, "no LLM calls")
        return save(fig, folder, "fig_phases", "Where the iterations went.")
    shares = calls.groupby(keys)["phase"].value_counts(normalize=True).unstack(fill_value=0.0)
    shares = shares.reindex(columns=list(PHASES), fill_value=0.0)
    shares = shares.loc[sorted(shares.index, key=lambda k: (k[0], tier_rank(k[1]), *k[2:]))]
    counts = calls.groupby(keys)["run"].nunique()
    y, left = np.arange(len(shares)), np.zeros(len(shares))
    for phase in PHASES:
        ax.barh(y, shares[phase], left=left, color=_PHASE_COLORS[phase], label=phase)
        left += shares[phase].to_numpy()
    ax.set_yticks(y, [group_label(k, int(counts[k])).replace("\n", " / ") for k in shares.index], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("share of LLM calls")
    ax.set_xlim(0, 1)
    ax.legend(fontsize=8, ncols=len(PHASES), loc="lower center", bbox_to_anchor=(0.5, 1.0))
    return save(fig, folder, "fig_phases", "Where the iterations went: share of LLM calls per phase.")
