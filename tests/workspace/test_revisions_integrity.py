"""Revisions under task integrity: below the floor keeps its numbers but is never best; identical files reuse a result."""

from __future__ import annotations

import json

from szagents.tasks.integrity import Objective
from szagents.workspace import RevisionStore
from tests.workspace.test_revisions import passed


def test_ratio_regression_keeps_measurements_and_case_ratios_but_is_never_best(tmp_path):
    """A revision that failed the floor stores its GB/s, ratio and case ratios, with correct=False."""
    store = RevisionStore(tmp_path)
    store.save({"k": b"1"}, role="baseline", action="start", evaluation=passed(1.0, 1.0))
    fast = passed(50.0, 50.0).with_floor({"benchmark:climate": 8.0})
    below = store.save({"k": b"2"}, role="o", action="memcpy", evaluation=fast)
    assert (below.verdict, below.correct, below.compress_gbps, below.ratio) == ("ratio_regression", False, 50.0, 4.0)
    assert below.case_ratios == {"benchmark:climate": 4.0} and "benchmark:climate" in below.detail
    assert store.best().number == 1 and store.best(Objective.compress_gbps).number == 1


def test_best_follows_the_declared_objective(tmp_path):
    """compress_gbps picks the fastest compressor, decompress_gbps the fastest decompressor."""
    store = RevisionStore(tmp_path)
    store.save({"k": b"1"}, role="t", action="c", evaluation=passed(9.0, 1.0))
    store.save({"k": b"2"}, role="t", action="d", evaluation=passed(2.0, 8.0))
    assert store.best(Objective.compress_gbps).number == 1
    assert store.best(Objective.decompress_gbps).number == 2
    assert store.best(Objective.gmean_gbps).number == 2  # sqrt(9 x 1) = 3 < sqrt(2 x 8) = 4


def test_identical_files_are_saved_as_a_reuse_of_the_earliest(tmp_path):
    """same_files finds the first revision with these exact files; save_reused repeats its result and names it."""
    store = RevisionStore(tmp_path)
    first = store.save({"k": b"1", "h.h": b"x"}, role="t", action="one", evaluation=passed(3.0, 4.0))
    store.save({"k": b"2"}, role="t", action="two", evaluation=passed(1.0, 1.0))
    assert store.same_files({"h.h": b"x", "k": b"1"}) == first and store.same_files({"k": b"1"}) is None
    again = store.save_reused({"k": b"1", "h.h": b"x"}, role="o", action="same again", source=first)
    assert (again.number, again.reused_from, again.role, again.action) == (3, 1, "o", "same again")
    assert (again.verdict, again.correct, again.compress_gbps, again.sha256) == ("ok", True, 3.0, first.sha256)
    record = json.loads((tmp_path / "revisions" / "003" / "revision.json").read_text())
    assert record["reused_from"] == 1 and RevisionStore(tmp_path).get(3) == again
    assert store.files(3) == {"k": b"1", "h.h": b"x"}
