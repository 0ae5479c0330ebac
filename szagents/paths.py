"""Where szagents finds its task material (kernels/, cerebras/) and its caches."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_root", "kernels_dir", "cache_dir"]

_PACKAGE = Path(__file__).resolve().parent


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
