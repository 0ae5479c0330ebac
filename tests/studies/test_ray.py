"""The Ray executor on a local Ray cluster started by the test (one node, three worker CPUs): every run
of a study of sleeping scripted models ends, and the benchmarking actor never lets two timings overlap."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.studies.conftest import assert_benchmarks_never_overlap, events, read_holds, study_cli, write_study

pytest.importorskip("ray", reason="needs the ray extra")

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ray")]  # one Ray cluster for the session


def test_ray_executor_runs_a_study_on_a_local_cluster(tmp_path: Path, cluster: str):
    """2 tasks x 2 teams through `szagents study --executor ray --address`, 3 at a time: all 4 end once, the
    slot actor's holds are disjoint and cover every benchmark in the trajectories; a second call skips all."""
    study = write_study(tmp_path, repeats=1, concurrency=3, tiers=("user",))
    proc = study_cli(str(study), "--executor", "ray", "--address", cluster, slots=tmp_path / "unused")
    output = proc.communicate(timeout=600)[0]
    assert proc.returncode == 0, output
    runs = tmp_path / "runs"
    folders = [p for p in runs.iterdir() if p.is_dir()]
    assert len(folders) == 4
    for folder in folders:
        assert [e["event"] for e in events(folder)].count("run_end") == 1, folder.name
        start = next(e for e in events(folder) if e["event"] == "run_start")
        assert start["host"]  # written by the Ray worker
    holds = read_holds(runs / "bench_slot_holds.jsonl")
    assert {h["device"] for h in holds} == {"cpu"} and len({h["node_id"] for h in holds}) == 1
    assert_benchmarks_never_overlap(runs, holds, 4)
    assert not (tmp_path / "unused").exists()  # the ray: scheme replaced the local lock folder

    again = study_cli(str(study), "--executor", "ray", "--address", cluster, slots=tmp_path / "unused")
    output = again.communicate(timeout=300)[0]
    assert again.returncode == 0, output
    assert all([e["event"] for e in events(f)].count("run_start") == 1 for f in folders)
    assert json.loads((runs / "bench_slot_holds.jsonl").read_text().splitlines()[0])["label"].endswith("workspace")
