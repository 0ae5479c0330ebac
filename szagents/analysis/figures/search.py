"""The search strategies' figures: best-so-far against tokens, cost and wall time; lineages coloured by verdict."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes

from szagents.analysis.figures.plotting import FigureFile, empty, integer_ticks, new_figure, save, zero_based
from szagents.analysis.loading.runs import Runs
from szagents.analysis.loading.search import best_so_far, lineage, search_runs

__all__ = ["budget_figure", "lineage_figure"]

VERDICT_COLORS = {"ok": "#2ca02c", "compile_error": "#d62728", "bound_violation": "#ff7f0e", "edit_error": "#7f7f7f",
                  "no_target_file": "#c7c7c7", "unfinished": "#c7c7c7"}
OTHER_FAILURE = "#9467bd"
STRATEGY_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]


def budget_figure(runs: Runs, folder: Path) -> FigureFile:
    """Best compression GB/s so far against tokens, dollars and wall time, one line per run, coloured by strategy."""
    curves = best_so_far(runs)
    fig, axes = new_figure(3, width=4.6)
    teams = sorted(runs.runs["team"].unique())
    colors = {t: STRATEGY_COLORS[i % len(STRATEGY_COLORS)] for i, t in enumerate(teams)}
    for ax, (column, label) in zip(axes, [("tokens", "tokens spent"), ("cost_usd", "cost (USD)"),
                                          ("seconds", "wall time (s)")]):
        if curves.empty:
            empty(ax, "no correct revision yet")
            continue
        for team in teams:
            n = int((runs.runs["team"] == team).sum())
            for i, (_, curve) in enumerate(curves[curves["team"] == team].groupby("run")):
                ax.step(curve[column], curve["compress_gbps"], where="post", color=colors[team], alpha=0.8,
                        marker="o", markersize=3, label=f"{team} (n={n})" if i == 0 else None)
        ax.set_xlabel(label)
        ax.set_ylabel("best compression GB/s so far")
        zero_based(ax, "y")
        zero_based(ax, "x")
        ax.legend(fontsize=7)
    return save(fig, folder, "fig_search_budget",
                "Best verified compression throughput so far against tokens, cost (tokens x the price table; scripted and "
                "replayed models cost nothing) and wall time, per run and strategy; screened-only revisions never count.")


def _draw_lineage(ax: Axes, frame: pd.DataFrame, title: str) -> None:
    slot = {c: i for _, g in frame.groupby("generation") for i, c in enumerate(g["candidate"])}
    where = {c: (g, slot[c]) for c, g in zip(frame["candidate"], frame["generation"])}
    for _, row in frame.iterrows():
        x, y = where[row["candidate"]]
        for other in row["inspirations"]:
            if other in where:
                ax.plot([where[other][0], x], [where[other][1], y], color="#bbbbbb", lw=0.6, ls=":", zorder=1)
        if row["parent"] in where:
            ax.annotate("", (x, y), where[row["parent"]], arrowprops={"arrowstyle": "->", "color": "#555555", "lw": 0.8})
    for _, row in frame.iterrows():
        x, y = where[row["candidate"]]
        color = VERDICT_COLORS.get(row["verdict"], OTHER_FAILURE)
        screened = row["verdict"] == "ok" and row["stage"] == "screen"
        ax.scatter([x], [y], s=90 if row["archived"] else 45, marker="*" if row["archived"] else "o", zorder=3,
                   color="white" if screened else color, edgecolors=color, linewidths=1.2)
        ax.annotate(row["candidate"], (x, y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=6)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("generation")
    integer_ticks(ax.xaxis)
    ax.set_xlim(-0.5, max(frame["generation"].max(), 1) + 0.5)
    ax.set_yticks([])


def lineage_figure(runs: Runs, folder: Path, limit: int = 4) -> FigureFile:
    """Which candidate begat which (arrows: parent; dotted: inspirations), coloured by verdict; stars entered the archive."""
    chosen = search_runs(runs)[:limit]
    fig, axes = new_figure(len(chosen) or 1, width=6.0, height=4.0, columns=min(2, max(1, len(chosen))))
    if not chosen:
        empty(axes[0], "no search runs (best-of-n, evolve)")
    for ax, run in zip(axes, chosen):
        team = runs.runs.loc[runs.runs["run"] == run, "team"].iloc[0]
        _draw_lineage(ax, lineage(runs.run_dir(run)), f"{run} ({team})")
    handles = [axes[0].scatter([], [], color=c, label=v) for v, c in VERDICT_COLORS.items() if v != "unfinished"]
    handles.append(axes[0].scatter([], [], color="white", edgecolors=VERDICT_COLORS["ok"], label="ok, screened only"))
    handles.append(axes[0].scatter([], [], color=OTHER_FAILURE, label="other failure"))
    fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize=7)
    return save(fig, folder, "fig_search_lineage",
                "Lineage of each search: arrows from parent to child, dotted lines from inspirations; colour = verdict, "
                "star = entered the archive (evolve) or won (best-of-n), hollow = correct but only screened.")
