"""The figures' properties a reviewer checks, measured on the drawn matplotlib figures and the written PNGs:
print resolution, no overlapping or clipped text, integer ticks for counts, zero-based magnitudes, failed steps
on their own row."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from szagents.analysis.figures.plotting import new_figure
from szagents.analysis.loading.runs import Runs, load_runs
from szagents.analysis.report.write import write_report
from tests.analysis.synthetic import SyntheticRun, SyntheticStep, write_run

# Its module fixture writes a report on 24 crowded runs: one worker runs the module (make test's --dist loadgroup),
# so it is written once.
pytestmark = pytest.mark.xdist_group("figures")

MIN_DPI = 150


@pytest.fixture(scope="module")
def made(both_report, tmp_path_factory) -> dict[str, dict]:
    """Figure name -> FigureFile for the golden and real runs together ('both'), and for 24 runs of 8 models x 3
    tiers ('crowded': more groups than fit side by side)."""
    root = tmp_path_factory.mktemp("crowded-runs")
    for i in range(24):
        steps = (SyntheticStep("Baseline", tc=100.0 + i, td=200.0, ratio=3.0, calls=0),
                 SyntheticStep("Tune", tc=150.0 + 3 * i, td=210.0, ratio=3.1, calls=2 + i % 3))
        tier = ("user", "knowledgeable", "expert")[i // 8]  # run ids as long as a sweep's (titles must wrap)
        run_id = f"szx-optimize-cuda-single-{tier}-openai-model-{i % 8}-with-a-long-name-20261129T152600-{i:02d}"
        write_run(root, SyntheticRun(run_id, steps, model=f"openai:model-{i % 8}-with-a-long-name", tier=tier,
                                     target="cuda"))
    crowded = write_report(load_runs([root]), tmp_path_factory.mktemp("crowded"))
    return {"both": {f.name: f for f in both_report.figures}, "crowded": {f.name: f for f in crowded.figures}}


def _every(made):
    return [f for group in made.values() for f in group.values()]


def _texts(fig: Figure) -> list[Text]:
    """Every drawn text of fig: titles, axis labels, legend entries and the shown tick labels."""
    ticks = {id(t) for ax in fig.axes for t in [*ax.get_xticklabels(), *ax.get_yticklabels()]}
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip() and id(t) not in ticks
             and (t.axes is None or t.axes.get_visible())]
    return texts + [t for ax in fig.axes if ax.get_visible() for which in "xy" for t in _shown_labels(ax, which)]


def _shown_labels(ax, which: str) -> list[Text]:  # noqa: ANN001
    """The tick labels of ax's x or y axis that are drawn: visible, non-empty, at a tick inside the view limits."""
    labels = ax.get_xticklabels() if which == "x" else ax.get_yticklabels()
    low, high = sorted(ax.get_xlim() if which == "x" else ax.get_ylim())
    at = (lambda t: t.get_position()[0]) if which == "x" else (lambda t: t.get_position()[1])
    return [t for t in labels if t.get_visible() and t.get_text() and low - 1e-9 <= at(t) <= high + 1e-9]


def _overlapping_ticks(fig: Figure) -> list[tuple[str, str]]:
    """Pairs of tick labels on one axis whose rendered boxes overlap."""
    renderer = fig.canvas.get_renderer()
    pairs = []
    for ax in (a for a in fig.axes if a.get_visible()):
        for which in "xy":
            boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in _shown_labels(ax, which)]
            pairs += [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2) if box_a.overlaps(box_b)]
    return pairs


def _ticks_in_view(ax, which: str) -> np.ndarray:  # noqa: ANN001
    """Major tick values inside the axis' view limits."""
    ticks = ax.get_xticks() if which == "x" else ax.get_yticks()
    low, high = sorted(ax.get_xlim() if which == "x" else ax.get_ylim())
    return np.array([t for t in ticks if low - 1e-9 <= t <= high + 1e-9])


def _panels(figure: Figure) -> dict[str, tuple]:
    """Run id -> (throughput axes, the failed-step strip below it, sharing its x) of every fig4 panel."""
    panels = {}
    for ax in figure.axes:
        siblings = [a for a in ax.get_shared_x_axes().get_siblings(ax) if a is not ax]
        if ax.get_title() and siblings:
            panels[ax.get_title().split("\n")[0]] = (ax, siblings[0])
    return panels


@pytest.mark.slow  # needs the shared real runs (real_runs_made): about 50 s for the first test that asks
def test_pngs_have_print_resolution(made):
    """Every PNG has >= 150 pixels per inch of its figure's size, and says so in its metadata."""
    for f in _every(made):
        width_in, height_in = f.figure.get_size_inches()
        with Image.open(f.png) as image:
            assert image.width / width_in >= MIN_DPI and image.height / height_in >= MIN_DPI, (f.name, image.size)
            assert min(image.info["dpi"]) >= MIN_DPI, (f.name, image.info.get("dpi"))
        assert f.svg.stat().st_size > 0


@pytest.mark.slow  # needs the shared real runs (real_runs_made): about 50 s for the first test that asks
def test_no_tick_labels_overlap(made):
    """With the renderer's boxes: no two tick labels of an axis overlap, even with 12 groups per panel."""
    for f in _every(made):
        assert _overlapping_ticks(f.figure) == [], f.name


def test_overlap_check_catches_crowded_labels():
    """Negative control: 12 long horizontal labels on a narrow axis do overlap by the same measure."""
    fig, (ax,) = new_figure(1, width=3.0)
    ax.set_xticks(range(12), [f"gemini-2.5-pro {i}" for i in range(12)])
    fig.draw_without_rendering()
    assert _overlapping_ticks(fig)


@pytest.mark.slow  # needs the shared real runs (real_runs_made): about 50 s for the first test that asks
def test_no_text_is_clipped(made):
    """Every title, label, tick label and legend entry lies inside its figure (titles wrap instead of clipping)."""
    for f in _every(made):
        fig = f.figure
        fig.draw_without_rendering()
        bounds = fig.bbox
        renderer = fig.canvas.get_renderer()
        for text in _texts(fig):
            box = text.get_window_extent(renderer)
            assert box.x0 >= bounds.x0 - 1 and box.x1 <= bounds.x1 + 1 and box.y0 >= bounds.y0 - 1 \
                and box.y1 <= bounds.y1 + 1, (f.name, text.get_text())


@pytest.mark.slow  # needs the shared real runs (real_runs_made): about 50 s for the first test that asks
def test_count_axes_have_integer_ticks(made):
    """Steps (fig4), reasoning iterations (fig3) and tokens (first-correct figure) are ticked at whole numbers."""
    both = made["both"]
    axes = [(a, "x") for a in both["fig4_steps"].figure.axes if a.get_xlabel() == "step"]
    axes += [(a, "x") for a in both["fig3_iterations"].figure.axes if "iterations" in a.get_xlabel()]
    axes += [(a, "y") for a in both["fig_first_correct"].figure.axes if a.get_ylabel() == "tokens"]
    assert len(axes) >= 4
    for ax, which in axes:
        ticks = _ticks_in_view(ax, which)
        assert len(ticks) and np.allclose(ticks, np.round(ticks)), (ax.get_title(), ticks)


@pytest.mark.slow  # needs the shared real runs (real_runs_made): about 50 s for the first test that asks
def test_magnitudes_start_at_zero_and_fit(made):
    """Throughput, ratio, token and time axes start at 0, and no plotted point lies above the axis' top."""
    names = ("fig2_throughput", "fig3_iterations", "fig4_steps", "fig_first_correct", "fig_reference_fraction",
             "fig_bandwidth_fraction")
    checked = 0
    for f in (made[g][n] for g in made for n in names if n in made[g]):
        for ax in f.figure.axes:
            if not ax.get_visible() or ax.get_ylabel() in ("", "failed") or not (ax.lines or ax.collections
                                                                               or ax.patches):
                continue
            assert ax.get_ylim()[0] == 0, (f.name, ax.get_ylabel(), ax.get_ylim())
            top = max((np.nanmax(np.asarray(line.get_ydata(), float)) for line in ax.lines if len(line.get_ydata())),
                      default=0.0)
            assert top <= ax.get_ylim()[1], (f.name, ax.get_ylabel())
            checked += 1
    assert checked >= 10


@pytest.mark.slow  # needs the shared real runs (real_runs_made): about 50 s for the first test that asks
def test_failed_steps_are_markers_on_their_own_row(made, golden_runs, real_runs):
    """In every panel of fig4 the failed steps are crosses on the strip below, never on the throughput axis."""
    revisions = Runs.concat([golden_runs, real_runs]).revisions
    panels = _panels(made["both"]["fig4_steps"].figure)
    assert len(panels) == 6
    with_failures = 0
    for run, (ax, strip) in panels.items():
        steps = revisions[revisions["run"] == run]
        failed = sorted(float(n) for n in steps.loc[~steps["runnable"], "number"])
        assert sorted(strip.collections[0].get_offsets()[:, 0]) == failed, run
        plotted = {float(x) for line in ax.lines for x in line.get_xdata()}
        assert plotted and not plotted & set(failed), run
        assert [t.get_text() for t in strip.get_yticklabels()] == ["failed"]
        with_failures += bool(failed)
    assert with_failures >= 1


@pytest.mark.slow  # needs the shared real runs (real_runs_made): about 50 s for the first test that asks
def test_group_labels_carry_n_and_team(made):
    """Bars of a median say how many runs are behind them; with several teams the team is in the label."""
    labels = [t.get_text() for ax in made["both"]["fig2_throughput"].figure.axes if ax.get_visible()
              for t in _shown_labels(ax, "x")]
    assert labels and all("n = " in label for label in labels)
    assert any("/ multi" in label for label in labels) and any("/ single" in label for label in labels)
