"""Matplotlib helpers: figures without pyplot (no global backend state), colours per model, PNG + SVG output."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from szagents.analysis.taxonomy import tier_rank

__all__ = ["FigureFile", "new_figure", "save", "short_model", "model_colors", "config_label", "grouped_bars", "empty"]

_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


@dataclass(frozen=True)
class FigureFile:
    """A saved figure: its name, caption and the PNG and SVG files."""

    name: str
    caption: str
    png: Path
    svg: Path


def new_figure(panels: int, width: float = 5.0, height: float = 3.6, columns: int | None = None) -> tuple[Figure, list[Axes]]:
    """A figure with `panels` axes on a grid (at most 3 per row unless columns is given)."""
    cols = columns or min(max(panels, 1), 3)
    rows = -(-max(panels, 1) // cols)
    fig = Figure(figsize=(width * cols, height * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel().tolist()
    for extra in axes[panels:]:
        extra.set_visible(False)
    return fig, axes[:max(panels, 1)]


def save(fig: Figure, folder: Path, name: str, caption: str) -> FigureFile:
    """Write fig as folder/name.png and folder/name.svg (no timestamps, so reruns give the same SVG)."""
    folder.mkdir(parents=True, exist_ok=True)
    png, svg = folder / f"{name}.png", folder / f"{name}.svg"
    fig.savefig(png, dpi=96, metadata={"Software": None})
    fig.savefig(svg, metadata={"Date": None, "Creator": None})
    return FigureFile(name, caption, png, svg)


def short_model(spec: str) -> str:
    """A model spec without its provider prefix or folders ('openai:gpt-5.1-codex' -> 'gpt-5.1-codex')."""
    name = spec.split(":", 1)[-1]
    return Path(name).name if "/" in name else name


def model_colors(models: pd.Series) -> dict[str, str]:
    """A stable colour per model (sorted order)."""
    return {m: _PALETTE[i % len(_PALETTE)] for i, m in enumerate(sorted(set(models)))}


def config_label(model: str, tier: str) -> str:
    """Tick label of a model x tier group."""
    return f"{short_model(model)}\n{tier.capitalize()[:5] + '.' if tier == 'knowledgeable' else tier.capitalize()}"


def empty(ax: Axes, text: str) -> None:
    """Mark an axis as having no data."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#666666")
    ax.set_xticks([])
    ax.set_yticks([])


def _group_stats(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Median, min and max of columns per model x tier, in the study's order."""
    stats = frame.groupby(["model", "tier"])[columns].agg(["median", "min", "max"])
    order = sorted(stats.index, key=lambda key: (key[0], tier_rank(key[1])))
    return stats.loc[order]


def grouped_bars(ax: Axes, frame: pd.DataFrame, columns: list[str], labels: list[str], ylabel: str) -> None:
    """Bars of columns' medians per model x tier (whiskers: min-max over repeats)."""
    frame = frame.dropna(subset=columns, how="all")
    if frame.empty:
        empty(ax, "no measured runs")
        return
    stats = _group_stats(frame, columns)
    x = np.arange(len(stats))
    width = 0.8 / len(columns)
    for i, (column, label) in enumerate(zip(columns, labels)):
        median = stats[(column, "median")].to_numpy(dtype=float)
        low = median - stats[(column, "min")].to_numpy(dtype=float)
        high = stats[(column, "max")].to_numpy(dtype=float) - median
        ax.bar(x + (i - (len(columns) - 1) / 2) * width, median, width, label=label,
               yerr=np.vstack([low, high]), capsize=2, color=_PALETTE[i], error_kw={"elinewidth": 0.8})
    ax.set_xticks(x, [config_label(m, t) for m, t in stats.index], fontsize=8)
    ax.set_xlim(-0.7, max(len(stats), 2) - 0.3)  # a lone group keeps a normal bar width
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
