"""Revisions: saved with hash and measurements, ranked by score, diffed, restored, reloaded."""

from __future__ import annotations

import json

import pytest

from szagents.backends.results import (
    BenchmarkCase, BenchmarkResult, CompileResult, Timing, ValidationResult, Verdict,
)
from szagents.tasks.evaluate import Evaluation
from szagents.workspace import RevisionStore, Workspace, WorkspaceError, revision_score


def _build(ok: bool = True) -> CompileResult:
    return CompileResult(ok=ok, backend="cpu", compiler="gcc", command=["gcc"], sources=["kernel.c"],
                         content_sha256="0" * 64, log="" if ok else "kernel.c:3:1: error: expected ';'")


def _timing(seconds: float) -> Timing:
    return Timing(median_seconds=seconds, min_seconds=seconds, max_seconds=seconds, iqr_seconds=0.0, repetitions=5)


def _bench(c_gbps: float, d_gbps: float) -> BenchmarkResult:
    case = BenchmarkCase(
        dataset="climate", n=1000, dtype="float32", eb=1e-3, input_bytes=4000, compressed_bytes=1000, ratio=4.0,
        compress=_timing(1.0), decompress=_timing(1.0), compress_gbps=c_gbps, decompress_gbps=d_gbps,
        psnr_db=80.0, nrmse=1e-4, max_error_over_eb=0.5,
    )
    return BenchmarkResult(verdict=Verdict.ok, cases=[case])


def passed(c_gbps: float, d_gbps: float) -> Evaluation:
    return Evaluation(_build(), ValidationResult(verdict=Verdict.ok), _bench(c_gbps, d_gbps))


def failed() -> Evaluation:
    return Evaluation(_build(), ValidationResult(verdict=Verdict.bound_violation, detail="[climate] x out of bound"), None)


def test_save_records_files_hash_verdict_and_measurements(tmp_path):
    """revision.json holds the fields; files are stored beside it."""
    store = RevisionStore(tmp_path)
    rev = store.save({"kernel.c": b"v1\n"}, role="translator", action="first version\nmore", evaluation=passed(2.0, 8.0))
    assert rev.number == 1 and rev.action == "first version" and rev.correct and rev.verdict == "ok"
    assert rev.compress_gbps == 2.0 and rev.decompress_gbps == 8.0 and rev.ratio == 4.0
    assert rev.score == pytest.approx(4.0)
    record = json.loads((tmp_path / "revisions" / "001" / "revision.json").read_text())
    assert record["sha256"] == rev.sha256 and record["created_at"]
    assert (tmp_path / "revisions" / "001" / "files" / "kernel.c").read_bytes() == b"v1\n"


def test_failures_are_recorded_as_incorrect(tmp_path):
    """A compile error or a bound violation gives a verdict, a detail and correct=False."""
    store = RevisionStore(tmp_path)
    broken = store.save({"kernel.c": b"x"}, role="t", action="a", evaluation=Evaluation(_build(False), None, None))
    wrong = store.save({"kernel.c": b"y"}, role="t", action="b", evaluation=failed())
    assert (broken.verdict, broken.correct) == ("compile_error", False) and "error" in broken.detail
    assert (wrong.verdict, wrong.correct, wrong.score) == ("bound_violation", False, 0.0)
    assert store.best() is None


def test_best_is_highest_geometric_mean_earliest_on_ties(tmp_path):
    """Score = sqrt(compress x decompress GB/s); incorrect revisions never win; ties go to the earlier."""
    store = RevisionStore(tmp_path)
    store.save({"k": b"1"}, role="t", action="slow", evaluation=passed(1.0, 1.0))
    store.save({"k": b"2"}, role="o", action="tie a", evaluation=passed(2.0, 8.0))
    store.save({"k": b"3"}, role="o", action="tie b", evaluation=passed(4.0, 4.0))
    store.save({"k": b"4"}, role="o", action="broken", evaluation=failed())
    assert store.best().number == 2
    assert revision_score(None, 3.0) == 0.0


def test_diff_restore_and_reload(tmp_path):
    """diff is a unified diff; restore rolls the workspace back; a new store reloads everything."""
    ws_root = tmp_path / "workspace"
    ws_root.mkdir()
    ws = Workspace(ws_root)
    store = RevisionStore(tmp_path)
    ws.write_text("kernel.c", "int a;\n")
    store.save(ws.snapshot(), role="t", action="one", evaluation=passed(1.0, 1.0))
    ws.write_text("kernel.c", "int b;\n")
    ws.write_text("util.h", "#pragma once\n")
    store.save(ws.snapshot(), role="o", action="two", evaluation=failed())
    diff = store.diff(1, 2)
    assert "-int a;" in diff and "+int b;" in diff and "+++ rev002/util.h" in diff
    reloaded = RevisionStore(tmp_path)
    assert [r.action for r in reloaded.all()] == ["one", "two"]
    assert reloaded.best().number == 1
    reloaded.restore(1, ws)
    assert ws.snapshot() == {"kernel.c": b"int a;\n"}
    with pytest.raises(WorkspaceError, match="revisions: 1, 2"):
        reloaded.get(7)


def test_interrupted_save_is_ignored_and_replaced(tmp_path):
    """A revision folder without revision.json (a crash mid-save) is not loaded and gets overwritten."""
    store = RevisionStore(tmp_path)
    store.save({"k": b"1"}, role="t", action="one", evaluation=None)
    (tmp_path / "revisions" / "002" / "files").mkdir(parents=True)
    (tmp_path / "revisions" / "002" / "files" / "junk").write_bytes(b"partial")
    store = RevisionStore(tmp_path)
    assert len(store.all()) == 1 and store.all()[0].verdict == "unevaluated"
    rev = store.save({"k": b"2"}, role="t", action="two", evaluation=None)
    assert rev.number == 2 and store.files(2) == {"k": b"2"}
