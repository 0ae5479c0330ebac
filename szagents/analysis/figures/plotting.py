"""Matplotlib helpers: figures without pyplot (no global backend state), colours per model, PNG + SVG output.

Every figure is written so a reviewer can take it as it is: PNGs at PNG_DPI (print resolution at the figure's
size), at most MAX_WIDTH wide, crowded x tick labels turned vertical, counts on integer ticks (integer_ticks), magnitudes
on zero-based axes (zero_based), and the number of runs behind every median in its group label."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from szagents.analysis.loading.taxonomy import tier_rank
from szagents.analysis.tables.display import short_model

__all__ = ["FigureFile", "PNG_DPI", "new_figure", "save", "short_model", "model_colors", "config_label", "group_keys",
           "group_label", "grouped_bars", "empty", "integer_ticks", "zero_based", "panel_width", "MAX_WIDTH"]

PNG_DPI = 200
"""Resolution of the PNGs: pixels per inch of the figure's size (print quality is 150 and up)."""
MAX_WIDTH = 14.0
"""Widest figure in inches: it still shows at full size in the HTML report."""

_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


@dataclass(frozen=True)
class FigureFile:
    """A saved figure: its name, caption, the PNG and SVG files, and the matplotlib figure they were drawn from."""

    name: str
    caption: str
    png: Path
    svg: Path
    figure: Figure | None = field(default=None, compare=False, repr=False)


def new_figure(panels: int, width: float = 5.0, height: float = 3.6, columns: int | None = None) -> tuple[Figure, list[Axes]]:
    """A figure with `panels` axes on a grid: at most 3 per row and MAX_WIDTH inches in all, unless columns is given."""
    cols = columns or max(1, min(max(panels, 1), 3, int(MAX_WIDTH // width)))
    rows = -(-max(panels, 1) // cols)
    fig = Figure(figsize=(width * cols, height * rows), layout="constrained")
    FigureCanvasAgg(fig)  # a renderer to measure text with, without pyplot's global state
    axes = fig.subplots(rows, cols, squeeze=False).ravel().tolist()
    for extra in axes[panels:]:
        extra.set_visible(False)
    return fig, axes[:max(panels, 1)]


def panel_width(groups: int, least: float = 4.5) -> float:
    """Width (inches) of a panel with `groups` labelled groups on its x axis: room for horizontal labels, at most
    MAX_WIDTH (beyond that, save() turns crowded labels vertical)."""
    return min(max(least, 1.1 * groups + 1.5), MAX_WIDTH)


def _crowded(ax: Axes) -> bool:
    """Whether any two of ax's x tick labels overlap as laid out now."""
    renderer = ax.figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]
    return any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def _fit_tick_labels(fig: Figure) -> None:
    """Turn the x tick labels of every axis whose labels overlap into one vertical line each, and make the figure
    taller by the labels' height so the plots keep their size."""
    fig.draw_without_rendering()  # lay out (constrained layout) so the boxes are final
    crowded = [ax for ax in fig.axes if ax.get_visible() and _crowded(ax)]
    for ax in crowded:
        labels = [label.get_text().replace("\n", ", ") for label in ax.get_xticklabels()]
        ax.set_xticks(ax.get_xticks(), labels, rotation=90, horizontalalignment="center")
    if crowded:
        fig.draw_without_rendering()
        renderer = fig.canvas.get_renderer()
        tallest = max(t.get_window_extent(renderer).height for ax in crowded for t in ax.get_xticklabels())
        rows = len({round(ax.get_position().y0, 3) for ax in crowded})
        width, height = fig.get_size_inches()
        fig.set_size_inches(width, height + rows * tallest / fig.dpi)


def save(fig: Figure, folder: Path, name: str, caption: str) -> FigureFile:
    """Write fig as folder/name.png (PNG_DPI) and folder/name.svg (no timestamps, so reruns give the same SVG)."""
    folder.mkdir(parents=True, exist_ok=True)
    _fit_tick_labels(fig)
    png, svg = folder / f"{name}.png", folder / f"{name}.svg"
    fig.savefig(png, dpi=PNG_DPI, metadata={"Software": None})
    fig.savefig(svg, metadata={"Date": None, "Creator": None})
    return FigureFile(name, caption, png, svg, fig)


def integer_ticks(axis: Axis) -> None:
    """Ticks only at whole numbers (steps, LLM calls, tokens), even when the range holds a single one."""
    axis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))


def zero_based(ax: Axes, which: str = "y", headroom: float = 0.05) -> None:
    """Start an axis (y or x) at zero, with headroom above the data (5 %, as matplotlib's margins), so that small
    differences are not magnified."""
    lim = ax.dataLim.y1 if which == "y" else ax.dataLim.x1
    top = (1 + headroom) * lim if np.isfinite(lim) and lim > 0 else 1.0
    (ax.set_ylim if which == "y" else ax.set_xlim)(0, top)


def model_colors(models: pd.Series) -> dict[str, str]:
    """A stable colour per model (sorted order)."""
    return {m: _PALETTE[i % len(_PALETTE)] for i, m in enumerate(sorted(set(models)))}


def config_label(model: str, tier: str) -> str:
    """Tick label of a model x tier group."""
    return f"{short_model(model)}\n{tier.capitalize()[:5] + '.' if tier == 'knowledgeable' else tier.capitalize()}"


def group_keys(frame: pd.DataFrame) -> list[str]:
    """The columns that make a figure's groups: model and tier, then team and the SDK where the runs have several."""
    return ["model", "tier", *(c for c in ("team", "sdk_version") if c in frame and frame[c].nunique() > 1)]


def group_label(key: tuple[str, ...], n: int | None = None) -> str:
    """Tick label of a group key (model, tier[, team][, SDK]), with the number of runs behind it."""
    label = config_label(key[0], key[1]) + "".join(f" / {k}" for k in key[2:] if k)
    return label + (f"\nn = {n}" if n is not None else "")


def empty(ax: Axes, text: str) -> None:
    """Mark an axis as having no data."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="#666666")
    ax.set_xticks([])
    ax.set_yticks([])


def _group_stats(frame: pd.DataFrame, columns: list[str], keys: list[str]) -> pd.DataFrame:
    """Median, min, max and count of columns per group (model x tier[ x team]), in the study's order."""
    stats = frame.groupby(keys)[columns].agg(["median", "min", "max", "count"])
    order = sorted(stats.index, key=lambda key: (key[0], tier_rank(key[1]), *key[2:]))
    return stats.loc[order]


def grouped_bars(ax: Axes, frame: pd.DataFrame, columns: list[str], labels: list[str], ylabel: str,
                 keys: list[str] | None = None) -> None:
    """Bars of columns' medians per group (keys, default group_keys(frame); whiskers: min-max over repeats, n: runs
    per group)."""
    frame = frame.dropna(subset=columns, how="all")
    if frame.empty:
        empty(ax, "no measured runs")
        return
    stats = _group_stats(frame, columns, keys or group_keys(frame))
    x = np.arange(len(stats))
    width = 0.8 / len(columns)
    for i, (column, label) in enumerate(zip(columns, labels)):
        median = stats[(column, "median")].to_numpy(dtype=float)
        low = median - stats[(column, "min")].to_numpy(dtype=float)
        high = stats[(column, "max")].to_numpy(dtype=float) - median
        ax.bar(x + (i - (len(columns) - 1) / 2) * width, median, width, label=label,
               yerr=np.vstack([low, high]), capsize=2, color=_PALETTE[i], error_kw={"elinewidth": 0.8})
    counts = stats[[(c, "count") for c in columns]].max(axis=1).astype(int)
    ax.set_xticks(x, [group_label(key, n) for key, n in zip(stats.index, counts)], fontsize=8)
    ax.set_xlim(-0.7, max(len(stats), 2) - 0.3)  # a lone group keeps a normal bar width
    zero_based(ax, headroom=0.25)  # room for the legend above the tallest whisker
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper right", ncols=len(columns))
