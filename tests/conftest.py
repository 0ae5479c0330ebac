"""Shared fixtures: the interoperability vectors written by the original cuSZp and SZx tools, the test run's
cache and folder shared by every pytest-xdist worker, and the real scripted runs several test folders read."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from szagents.paths import SHIPPED_VECTORS, vectors_dir
from tests.sharing import each_once_per_run, run_folder

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class VectorCase:
    """One input of the interoperability vectors with the streams the original tools wrote for it."""

    name: str
    dtype: np.dtype
    n: int
    eb: float
    folder: Path

    def data(self) -> np.ndarray:
        return np.fromfile(self.folder / f"{self.name}.{self.dtype.name[0]}{self.dtype.itemsize * 8}", dtype=self.dtype)

    def stream(self, kind: str) -> bytes | None:
        """kind: cuszp_plain, cuszp_outlier or szx_ra; None when the tools wrote none."""
        path = self.folder / f"{self.name}.{kind}"
        return path.read_bytes() if path.exists() else None


def load_vector_cases() -> list[VectorCase]:
    """The cases of cases.tsv in szagents.paths.vectors_dir() (none when it has none)."""
    folder = vectors_dir()
    table = folder / "cases.tsv" if folder is not None else None
    if table is None or not table.exists():
        return []
    cases = []
    for line in table.read_text().splitlines():
        if line.strip():
            name, dtype, n, eb = line.split("\t")
            cases.append(VectorCase(name, np.dtype(dtype.replace("f", "float")), int(n), float(eb), folder))
    return cases


VECTOR_CASES = load_vector_cases()


@pytest.fixture(params=VECTOR_CASES or [None], ids=lambda c: c.name if c else "missing")
def vector_case(request) -> VectorCase:
    if request.param is None:
        pytest.fail(f"interoperability vectors not found in {vectors_dir() or REPO / SHIPPED_VECTORS}; "
                    "restore them with `git checkout -- tests/data/vectors` or set SZAGENTS_VECTORS")
    return request.param


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Every test run builds and caches into its own folder, never the user's cache; its xdist workers share it,
    so each kernel is compiled and each dataset generated once per run (stores are atomic: compiler.py, _cache.py)."""
    if "SZAGENTS_CACHE" not in os.environ:
        folder = run_folder(tmp_path_factory) / "szagents-cache"
        folder.mkdir(exist_ok=True)
        os.environ["SZAGENTS_CACHE"] = str(folder)
    yield


@pytest.fixture(autouse=True, scope="session")
def _one_thread_kernels():
    """Kernels run on one OpenMP thread unless a test asks for more (CpuConfig(omp_num_threads=...), set_threads).

    Tests run side by side (pytest-xdist) and beside other work, and an OpenMP kernel whose threads outnumber the
    free cores runs several times slower than on one thread (libgomp waits for a descheduled thread), so with
    several threads whether a parallel revision beats a serial one depends on the machine's load. On one thread
    every timing decision a test sees rests on the work each revision does.
    """
    os.environ["OMP_NUM_THREADS"] = "1"
    yield


def _real_run(name: str) -> Callable[[Path], object]:
    """A maker of one real run in its own folder: "demo" (the bundled demo, expert) or "mix" (the analysis mix
    script, user tier, a budget of 5 calls), both on szx-optimize-cpu."""
    from szagents.roles.team import Team
    from szagents.run.config import RunConfig
    from szagents.run.graph_run import start_run
    from szagents.tasks.task import Budgets

    mix = REPO / "tests" / "analysis" / "scripts" / "mix.json"
    configs = {
        "demo": dict(team=Team.single("scripted:demo"), tier="expert"),
        "mix": dict(team=Team.single(f"scripted:{mix}"), tier="user", budgets=Budgets(iterations=5)),
    }
    def make(folder: Path) -> object:
        folder.rmdir()  # once_per_run made it empty; the run makes its own folder
        return start_run(RunConfig(task="szx-optimize-cpu", runs_dir=folder.parent, quick=True, run_id=folder.name,
                                   **configs[name]))

    return make


@pytest.fixture(scope="session")
def real_runs_made(tmp_path_factory) -> dict:
    """name -> RunOutcome of two real runs, made once per test run and only read by the tests: "demo" (the scripted
    demo: every route, really compiled, validated and benchmarked) and "mix" (see _real_run). A worker makes the one
    no other worker is making (each_once_per_run), so two workers that ask together make the two at once."""
    folder = run_folder(tmp_path_factory) / "real-runs"
    folder.mkdir(exist_ok=True)
    return each_once_per_run(folder, {name: _real_run(name) for name in ("demo", "mix")})


@pytest.fixture(scope="session")
def demo_run(real_runs_made):
    """The scripted demo's RunOutcome (shared: read it, never resume or change it)."""
    return real_runs_made["demo"]


# The parallel pass hands out work units in collection order (make test: --dist loadgroup --no-loadscope-reorder).
# First the two groups that need both shared real runs (their two workers make the two at once, real_runs_made),
# then two long groups that need neither (so the other workers never start by waiting on the runs' locks), then the
# other groups, then every other test as collected.
FIRST_GROUPS = ("figures", "browser", "ray", "strategy-study")


def serial_files() -> set[str]:
    """The files make test's serial pass collects: the Makefile's SERIAL, paths relative to the repository."""
    found = re.search(r"^SERIAL := (.*)$", (REPO / "Makefile").read_text().replace("\\\n", " "), re.MULTILINE)
    return set(found.group(1).split()) if found else set()


def stray_serial(items: Iterable[pytest.Item], listed: set[str]) -> list[str]:
    """Node ids of the serial tests make test runs here (not gpu, not cerebras) whose file is not listed."""
    return [item.nodeid for item in items
            if item.get_closest_marker("serial") and not any(item.get_closest_marker(m) for m in ("gpu", "cerebras"))
            and item.path.is_relative_to(REPO) and item.path.relative_to(REPO).as_posix() not in listed]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    stray = stray_serial(items, serial_files())
    if stray:  # the parallel pass leaves them out and the serial pass would never collect them
        raise pytest.UsageError(f"{len(stray)} serial tests (first: {stray[0]}) are in files the Makefile's SERIAL "
                                "does not list, so make test would skip them: add their files to SERIAL")

    def rank(item: pytest.Item) -> int:
        marker = item.get_closest_marker("xdist_group")
        if marker is None:
            return len(FIRST_GROUPS) + 1
        name = marker.args[0] if marker.args else marker.kwargs.get("name")
        return FIRST_GROUPS.index(name) if name in FIRST_GROUPS else len(FIRST_GROUPS)

    items.sort(key=rank)  # stable: the collection order within a rank
