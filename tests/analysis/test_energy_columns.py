"""J/GB in `szagents report`: beside throughput in the run summary, study cells and a GPU run's trace; a dash (or, in
a trace, no column) where a run measured no energy."""

from __future__ import annotations

from szagents.analysis.loading.runs import load_runs
from szagents.analysis.tables.study import study_table
from tests.analysis.synthetic import SyntheticRun, SyntheticStep, write_run
from szagents.analysis.tables.display import DASH
from szagents.analysis.tables.outcomes import summary_table
from szagents.analysis.tables.trace import trace_table


def _runs(tmp_path):
    with_energy = (SyntheticStep("Baseline", tc=400.0, td=450.0, ratio=3.0, calls=0, joules_per_gb=(0.812, 0.655)),
                   SyntheticStep("Fused", tc=500.0, td=460.0, ratio=3.0, calls=2, joules_per_gb=(0.701, 0.642)))
    without = (SyntheticStep("Baseline", tc=400.0, td=450.0, ratio=3.0, calls=0),
               SyntheticStep("Fused", tc=500.0, td=460.0, ratio=3.0, calls=2))
    write_run(tmp_path, SyntheticRun("gpu-energy", with_energy, target="cuda", kernel="szp"))
    write_run(tmp_path, SyntheticRun("gpu-plain", without, target="cuda", kernel="szx"))
    return load_runs([tmp_path])


def test_the_summary_shows_the_best_revisions_joules_per_gb_or_a_dash(tmp_path):
    """The run that measured energy shows its best revision's c/d J/GB; the other a dash, in the same column."""
    runs = _runs(tmp_path)
    table = summary_table(runs)
    column = table.header.index("Best J/GB (c/d)")
    shown = {row[0].text: row[column].text for row in table.rows}
    assert shown == {"gpu-energy": "0.701/0.642", "gpu-plain": DASH}


def test_a_trace_has_a_joules_column_only_where_the_run_measured_energy(tmp_path):
    """Per step J/GB beside Tc/Td for the run with energy; the study's form (no column) for the other."""
    runs = _runs(tmp_path)
    energy, plain = trace_table(runs, "gpu-energy"), trace_table(runs, "gpu-plain")
    column = energy.header.index("J/GB (c/d)")
    assert [row[column].text for row in energy.rows] == ["0.812/0.655", "0.701/0.642"]
    assert "J/GB (c/d)" not in plain.header


def test_study_cells_show_the_median_joules_per_gb(tmp_path):
    """A study cell's J/GB is the median over its successful runs; a cell without energy shows a dash."""
    table = study_table(_runs(tmp_path))
    column = table.header.index("J/GB median (c/d)")
    assert sorted(row[column].text for row in table.rows) == sorted(["0.701/0.642", DASH])
