"""Loading run folders into tidy tables: numbers match the events they came from; damaged logs still load."""

from __future__ import annotations

import json
import math
import shutil
import statistics

import pytest

from szagents.analysis.loading.runs import find_run_dirs, load_runs
from szagents.analysis.loading.taxonomy import exec_time_s
from szagents.trajectory import BenchmarkCase, Timing, TrajectoryWarning, read_run


def _events(runs, run, kind):
    return [e for e in read_run(runs.run_dir(run)) if e.event == kind]


@pytest.mark.slow  # needs the shared real runs (real_runs_made): about 50 s for the first test that asks
def test_best_tc_td_ratio_come_from_the_one_best_revision(real_runs):
    """best Tc/Td/ratio of each run are the best revision's own three numbers (run_end's), never peaks of different revisions."""
    for run in real_runs.runs["run"]:
        (end,) = _events(real_runs, run, "run_end")
        best = next(e for e in _events(real_runs, run, "revision") if e.number == end.best_revision)
        row = real_runs.runs.set_index("run").loc[run]
        assert row["best_revision"] == best.number and best.correct
        assert (row["best_tc_gbps"], row["best_td_gbps"], row["best_ratio"]) == (
            best.compress_gbps, best.decompress_gbps, best.ratio)


def test_golden_szx_best_row_is_one_trace_step(golden_runs):
    """The study's SZx trace: best Tc 1270.6 comes with that step's Td 911.2 and ratio 7.99, not the trace's peak Td 975.2."""
    row = golden_runs.runs.set_index("run").loc["szx-gpt-1"]
    step = golden_runs.revisions[(golden_runs.revisions["run"] == "szx-gpt-1")
                                 & (golden_runs.revisions["number"] == row["best_revision"])].iloc[0]
    assert (row["best_tc_gbps"], row["best_td_gbps"], row["best_ratio"]) == (1270.6, 911.2, 7.99)
    assert (step["compress_gbps"], step["decompress_gbps"], step["ratio"]) == (1270.6, 911.2, 7.99)
    peak_td = golden_runs.revisions[golden_runs.revisions["run"] == "szx-gpt-1"]["decompress_gbps"].max()
    assert peak_td > row["best_td_gbps"]


@pytest.mark.slow  # needs the shared real runs (real_runs_made): about 50 s for the first test that asks
def test_run_row_agrees_with_run_end_and_llm_calls(real_runs):
    """Iterations, tokens, stop reason and the final answer of a run row match its llm_call and run_end events."""
    for run in real_runs.runs["run"]:
        row = real_runs.runs.set_index("run").loc[run]
        calls = _events(real_runs, run, "llm_call")
        (end,) = _events(real_runs, run, "run_end")
        assert row["iterations"] == len(calls) == sum(end.iterations.values())
        assert row["tokens"] == sum(c.input_tokens + c.output_tokens for c in calls) == end.input_tokens + end.output_tokens
        assert row["stop_reason"] == end.stop_reason and row["final_revision"] == end.best_revision
        assert row["final_tc_gbps"] == end.best_compress_gbps and row["wall_seconds"] == end.wall_seconds


@pytest.mark.slow  # needs the shared real runs (real_runs_made): about 50 s for the first test that asks
def test_revisions_table_mirrors_revision_events(real_runs):
    """The revisions table lists every revision event in order with its verdict, action and failure mode."""
    mix = real_runs.revisions[real_runs.revisions["run"] == "mix"]
    assert list(mix["verdict"]) == ["ok", "ok", "compile_error", "bound_violation"]
    assert list(mix["action"]) == ["Baseline", "OpenMP chunks", "Variant with a typo", "Looser constant-block test"]
    assert list(mix["failure"].fillna("")) == ["", "", "compile error", "bound violation"]
    assert list(mix["iteration"]) == [0, 2, 3, 5]


@pytest.mark.slow  # needs the shared real runs (real_runs_made): about 50 s for the first test that asks
def test_step_median_covers_the_agents_own_benchmark(real_runs):
    """A step the agent benchmarked itself before submitting has two measurements and their median in the table."""
    step = real_runs.revisions[(real_runs.revisions["run"] == "mix") & (real_runs.revisions["number"] == 2)].iloc[0]
    benches = [e for e in _events(real_runs, "mix", "benchmark") if e.cases]
    values = [e.cases[0].compress_gbps for e in benches[1:3]]  # the tool's, then the validator's
    assert step["measurements"] == 2
    assert step["compress_gbps_median"] == pytest.approx(statistics.median(values))


@pytest.mark.slow  # needs the shared real runs (real_runs_made): about 50 s for the first test that asks
def test_run_facts_of_the_mix_run(real_runs):
    """The mix run succeeded at its second call, exhausted its budget and has one LLM and tool row per call."""
    row = real_runs.runs.set_index("run").loc["mix"]
    assert row["success"] and row["budget_exhausted"] and row["first_correct_iteration"] == 2
    assert len(real_runs.llm_calls[real_runs.llm_calls["run"] == "mix"]) == 5
    tools = real_runs.tool_calls[real_runs.tool_calls["run"] == "mix"]
    assert len(tools) == len(_events(real_runs, "mix", "tool_call"))
    phases = list(real_runs.llm_calls[real_runs.llm_calls["run"] == "mix"]["phase"])
    assert phases == ["tuning", "tuning", "tuning", "debugging", "debugging"]


@pytest.mark.slow  # needs the shared real runs (real_runs_made): about 50 s for the first test that asks
def test_truncated_line_and_unknown_event_warn_and_continue(real_root, tmp_path):
    """A run with an unknown event type and a torn last line loads with warnings and the same revisions."""
    copy = tmp_path / "mix"
    shutil.copytree(real_root / "mix", copy)
    with open(copy / "trajectory.jsonl", "a") as file:
        file.write(json.dumps({"event": "gpu_telemetry", "run_id": "mix", "seq": 999, "ts": "2030-01-01T00:00:00+00:00"}) + "\n")
        file.write('{"event": "revision", "run_id": "mix", "num')
    with pytest.warns(TrajectoryWarning) as caught:
        runs = load_runs([copy])
    messages = " ".join(str(w.message) for w in caught)
    assert "unknown event type 'gpu_telemetry'" in messages and "truncated last line" in messages
    assert list(runs.revisions["verdict"]) == ["ok", "ok", "compile_error", "bound_violation"]


def test_sweep_folders_are_searched_and_repeated_ids_get_qualified_labels(golden_root, tmp_path):
    """A folder of folders of runs is searched recursively; runs with the same id get parent/id labels."""
    assert len(find_run_dirs([golden_root])) == 7
    for side in ("a", "b"):
        shutil.copytree(golden_root / "multi" / "szx-gpt-m1", tmp_path / side / "szx-gpt-m1")
    runs = load_runs([tmp_path])
    assert sorted(runs.runs["run"]) == ["a/szx-gpt-m1", "b/szx-gpt-m1"]
    assert set(runs.revisions["run"]) == set(runs.runs["run"])


def test_cerebras_outcome_from_exec_time(golden_runs):
    """Cerebras runs: the runtime's execution time is read from benchmark cases; zero time or a stall is a failure."""
    runs = golden_runs.runs.set_index("run")
    assert runs.loc["csl-gpt-1", "exec_time_s"] == 134.0 and runs.loc["csl-gpt-1", "success"]
    assert runs.loc["csl-gem-1", "exec_time_s"] == 0.0 and not runs.loc["csl-gem-1", "success"]
    failures = golden_runs.revisions[golden_runs.revisions["run"] == "csl-gpt-1"]["failure"].tolist()
    assert failures[:2] == ["hang/timeout", "zero execution time"]
    assert failures[2] is None or math.isnan(failures[2])


def test_missing_fields_become_nan(golden_runs):
    """Runs that never benchmarked have NaN throughput and bandwidth columns instead of errors."""
    row = golden_runs.runs.set_index("run").loc["csl-gem-1"]
    assert math.isnan(row["best_tc_gbps"]) and math.isnan(row["tc_bandwidth_fraction"])


def _case(compress_s: float, decompress_s: float, cycles: int | None) -> BenchmarkCase:
    def timing(seconds: float) -> Timing:
        return Timing(median_seconds=seconds, min_seconds=seconds, max_seconds=seconds, iqr_seconds=0.0, repetitions=1)

    return BenchmarkCase(dataset="d", n=1, dtype="float32", eb=0.1, input_bytes=4, compressed_bytes=2, ratio=2.0,
                         compress=timing(compress_s), decompress=timing(decompress_s), compress_gbps=1.0,
                         decompress_gbps=1.0, psnr_db=80.0, nrmse=0.0, max_error_over_eb=0.5, compress_cycles=cycles)


def test_exec_time_from_explicit_field_or_cycle_counted_timings():
    """An exec_time_s-like field an event carries wins; else Cerebras cases (compress_cycles) give compress +
    decompress medians; a case without cycles gives none."""
    cycles = _case(0.25, 0.5, cycles=1000)
    assert exec_time_s(cycles) == 0.75
    assert exec_time_s(cycles, {"execution_time_s": 134}) == 134.0
    assert math.isnan(exec_time_s(_case(1.0, 1.0, cycles=None), None))
