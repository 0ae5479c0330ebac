"""Compile many kernel builds at once (nvcc runs in parallel) so the tests that follow hit the build cache."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from szagents.backends.protocol import KernelSpec


def compile_all(backend, builds: Sequence[tuple[Sequence[Path], KernelSpec]], folder: Path) -> None:
    """Build every (sources, spec) into folder; fail with the logs of those that did not build."""
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda b: backend.compile(list(b[0]), b[1], folder), builds))
    assert all(r.ok for r in results), [r.log for r in results if not r.ok]
