"""The report's figures (PNG + SVG): throughput, iterations and steps; fractions, cost and phases; studies; searches."""

from szagents.analysis.figures.efficiency import bandwidth_figure, first_correct_figure, phases_figure, reference_figure
from szagents.analysis.figures.plotting import FigureFile
from szagents.analysis.figures.search import budget_figure, lineage_figure
from szagents.analysis.figures.study import study_figure
from szagents.analysis.figures.throughput import iterations_figure, steps_figure, throughput_figure

__all__ = ["FigureFile", "bandwidth_figure", "budget_figure", "first_correct_figure", "iterations_figure", "lineage_figure",
           "phases_figure", "reference_figure", "steps_figure", "study_figure", "throughput_figure"]
