"""Shared fixtures: the interoperability vectors written by the original cuSZp and SZx tools."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from szagents.paths import SHIPPED_VECTORS, vectors_dir

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
    """Every test session builds and caches into its own folder, never the user's cache."""
    if "SZAGENTS_CACHE" not in os.environ:
        os.environ["SZAGENTS_CACHE"] = str(tmp_path_factory.mktemp("szagents-cache"))
    yield
