"""tests/sharing.py: results made once per test run and shared by the pytest-xdist workers."""

from __future__ import annotations

import fcntl
import pickle
import threading
from pathlib import Path

from tests.sharing import each_once_per_run, once_per_run


def test_a_result_is_made_once_and_read_back(tmp_path: Path):
    made = []
    maker = lambda folder: made.append(folder.name) or {"value": 7}  # noqa: E731
    assert once_per_run(tmp_path, "r", maker) == {"value": 7}
    assert once_per_run(tmp_path, "r", maker) == {"value": 7}
    assert made == ["r"]


def test_a_worker_makes_what_nobody_else_is_making_first(tmp_path: Path):
    """With "a" being made by another worker (its lock held), "b" is made here at once, then "a" is read back once
    the other worker has written it."""
    made = []
    result: dict = {}
    b_made = threading.Event()

    def make_b(folder: Path) -> str:
        made.append("b")
        b_made.set()
        return "b"

    with open(tmp_path / "a.lock", "w") as other:
        fcntl.flock(other, fcntl.LOCK_EX)
        worker = threading.Thread(target=lambda: result.update(each_once_per_run(
            tmp_path, {"a": lambda folder: made.append("a") or "mine", "b": make_b})))
        worker.start()
        assert b_made.wait(timeout=30) and made == ["b"]  # "b" made while "a" was another worker's
        (tmp_path / "a.pickle").write_bytes(pickle.dumps("theirs"))
    worker.join(timeout=5)
    assert result == {"a": "theirs", "b": "b"} and made == ["b"]
