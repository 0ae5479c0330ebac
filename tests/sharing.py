"""What the pytest-xdist workers of one test run share: its folder, and results made once by the first worker."""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path

__all__ = ["run_folder", "once_per_run"]


def run_folder(tmp_path_factory) -> Path:
    """This test run's folder, the same for every xdist worker (a worker's base temp is <run folder>/popen-gwN)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def once_per_run(folder: Path, name: str, make: Callable[[Path], object]) -> object:
    """make(folder / name)'s result, computed by the first xdist worker that asks and read back by the others.

    A file lock serializes the workers; the result is pickled beside the folder, which readers must not change.
    """
    target, result = folder / name, folder / f"{name}.pickle"
    with open(folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not result.exists():
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir()
            value = make(target)
            result.write_bytes(pickle.dumps(value))
            return value
    return pickle.loads(result.read_bytes())
