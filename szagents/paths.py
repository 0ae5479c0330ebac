"""Where szagents finds its task material (kernels/, cerebras/), its caches and the interoperability vectors."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_root", "kernels_dir", "cache_dir", "vectors_dir", "SHIPPED_VECTORS"]

_PACKAGE = Path(__file__).resolve().parent

SHIPPED_VECTORS = Path("tests") / "data" / "vectors"
"""Where a source checkout keeps the interoperability vectors (relative to the checkout root)."""


def data_root() -> Path:
    """Folder holding kernels/ (and cerebras/): the source checkout, else the wheel's copy."""
    checkout = _PACKAGE.parent
    if (checkout / "kernels" / "abi").is_dir():
        return checkout
    return _PACKAGE / "_data"


def kernels_dir() -> Path:
    """The kernels/ folder: abi/ headers and one folder per kernel."""
    return data_root() / "kernels"


def cache_dir(*parts: str) -> Path:
    """Per-user cache folder ($SZAGENTS_CACHE, else $XDG_CACHE_HOME/szagents), created on demand."""
    base = os.environ.get("SZAGENTS_CACHE")
    if base is None:
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        base = str(Path(xdg) / "szagents")
    path = Path(base, *parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def vectors_dir() -> Path | None:
    """The streams the original cuSZp and SZx tools wrote: $SZAGENTS_VECTORS when set (even if it is wrong, so
    the error names it), else ../shared/vectors beside the checkout, else the checkout's tests/data/vectors;
    None when none has a cases.tsv (an installed wheel ships no vectors)."""
    env = os.environ.get("SZAGENTS_VECTORS")
    if env:
        return Path(env)
    checkout = _PACKAGE.parent
    for folder in (checkout.parent / "shared" / "vectors", checkout / SHIPPED_VECTORS):
        if (folder / "cases.tsv").is_file():
            return folder
    return None
