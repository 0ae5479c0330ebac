"""The on-disk cache of generated fields: .npy files written atomically, read defensively."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import numpy as np

__all__ = ["read_cached", "write_atomic"]


def read_cached(path: Path, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray | None:
    """The cached array, or None when the file is missing, truncated, corrupt or mismatched."""
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError):
        return None
    if not isinstance(data, np.ndarray) or data.shape != shape or data.dtype != dtype:
        return None
    return np.ascontiguousarray(data)


def write_atomic(path: Path, data: np.ndarray) -> None:
    """Write data as .npy to a temporary file beside path, then rename it over path."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # umask applies, unlike mkstemp
    try:
        with os.fdopen(fd, "wb") as handle:
            np.save(handle, data, allow_pickle=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
