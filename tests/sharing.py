"""What the pytest-xdist workers of one test run share: its folder, and results made once by the first worker."""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path

__all__ = ["run_folder", "once_per_run", "each_once_per_run"]


def run_folder(tmp_path_factory) -> Path:
    """This test run's folder, the same for every xdist worker (a worker's base temp is <run folder>/popen-gwN)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def once_per_run(folder: Path, name: str, make: Callable[[Path], object]) -> object:
    """make(folder / name)'s result, computed by the first xdist worker that asks and read back by the others.

    A file lock serializes the workers; the result is pickled beside the folder, which readers must not change.
    """
    with open(folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _made(folder, name, make)


def _made(folder: Path, name: str, make: Callable[[Path], object]) -> object:
    """With name's lock held: the result read back, or made now."""
    target, result = folder / name, folder / f"{name}.pickle"
    if result.exists():
        return pickle.loads(result.read_bytes())
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    value = make(target)
    result.write_bytes(pickle.dumps(value))
    return value


def each_once_per_run(folder: Path, makers: dict[str, Callable[[Path], object]]) -> dict[str, object]:
    """once_per_run for several results: a worker first makes any that no other worker is making (a lock it can
    take at once), then waits for the rest. So two workers that ask together make two results at once, whatever
    order they ask in."""
    done: dict[str, object] = {}
    for name, make in makers.items():
        with open(folder / f"{name}.lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # another worker is making it: come back for it below
            done[name] = _made(folder, name, make)
    return {name: done[name] if name in done else once_per_run(folder, name, make) for name, make in makers.items()}
