"""The interoperability vectors ship in the repository, and szagents.paths.vectors_dir() finds them (or an override)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from szagents import paths

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / paths.SHIPPED_VECTORS
LIMIT_BYTES = 5 * 1024 * 1024
"""No tracked file may be larger (hosting limits and clone time)."""


def test_shipped_vectors_are_complete():
    """Every case of the shipped cases.tsv has its input (n values of its dtype) and at least one stream."""
    rows = [line.split("\t") for line in (SHIPPED / "cases.tsv").read_text().splitlines() if line.strip()]
    assert len(rows) == 5
    for name, dtype, n, eb in rows:
        data = SHIPPED / f"{name}.{dtype}"
        assert data.stat().st_size == int(n) * np.dtype(dtype.replace("f", "float")).itemsize, name
        assert float(eb) > 0
        assert list(SHIPPED.glob(f"{name}.cuszp_*")), name


def test_no_tracked_file_exceeds_the_limit():
    """The vectors (and everything else git tracks) stay below 5 MB per file."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=False)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    names = [n for n in listed.stdout.decode().split("\0") if n]
    big = [n for n in names if (REPO / n).is_file() and (REPO / n).stat().st_size > LIMIT_BYTES]
    assert not big, big


def _checkout(root: Path, shared: bool) -> Path:
    """A fake checkout under root (package folder, shipped vectors) with or without ../shared/vectors."""
    package = root / "repo" / "szagents"
    package.mkdir(parents=True)
    (root / "repo" / paths.SHIPPED_VECTORS).mkdir(parents=True)
    (root / "repo" / paths.SHIPPED_VECTORS / "cases.tsv").write_text("a\tf32\t1\t0.1\n")
    if shared:
        (root / "shared" / "vectors").mkdir(parents=True)
        (root / "shared" / "vectors" / "cases.tsv").write_text("a\tf32\t1\t0.1\n")
    return package


@pytest.mark.parametrize("shared", [False, True])
def test_lookup_order(tmp_path, monkeypatch, shared):
    """$SZAGENTS_VECTORS wins, then ../shared/vectors beside the checkout, then the shipped copy."""
    monkeypatch.setattr(paths, "_PACKAGE", _checkout(tmp_path, shared))
    monkeypatch.delenv("SZAGENTS_VECTORS", raising=False)
    expected = tmp_path / "shared" / "vectors" if shared else tmp_path / "repo" / paths.SHIPPED_VECTORS
    assert paths.vectors_dir() == expected
    monkeypatch.setenv("SZAGENTS_VECTORS", str(tmp_path / "elsewhere"))
    assert paths.vectors_dir() == tmp_path / "elsewhere"


def test_installed_package_without_vectors_finds_none(tmp_path, monkeypatch):
    """A wheel install (no checkout around the package) has no vectors: None, not a wrong folder."""
    package = tmp_path / "site-packages" / "szagents"
    package.mkdir(parents=True)
    monkeypatch.setattr(paths, "_PACKAGE", package)
    monkeypatch.delenv("SZAGENTS_VECTORS", raising=False)
    assert paths.vectors_dir() is None
