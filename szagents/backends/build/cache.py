"""The build cache's size: least recently used builds are removed once the cache passes its cap.

A kernel can make its library large (a 250 MB `.incbin` was tried); the compile's file-size limit
caps one library, and this caps their sum. The cap is `$SZAGENTS_CACHE_MAX_BYTES` (default 4 GiB);
a build's last use is the modification time of its record, touched at every cache hit.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["DEFAULT_MAX_BYTES", "max_bytes", "touch", "prune"]

DEFAULT_MAX_BYTES = 4 << 30


def max_bytes() -> int:
    """The cap from $SZAGENTS_CACHE_MAX_BYTES (an integer number of bytes), else the default."""
    raw = os.environ.get("SZAGENTS_CACHE_MAX_BYTES", "")
    try:
        value = int(raw) if raw else DEFAULT_MAX_BYTES
    except ValueError:
        raise ValueError(f"SZAGENTS_CACHE_MAX_BYTES={raw!r} is not a number of bytes; set it to e.g. "
                         f"{DEFAULT_MAX_BYTES} or unset it") from None
    return max(value, 0)


def touch(record: Path) -> None:
    """Mark a build as just used."""
    try:
        os.utime(record)
    except OSError:
        pass


def _builds(root: Path) -> list[tuple[float, int, Path]]:
    """(last use, bytes, folder) of every build under root/<backend>/<xx>/<key>/."""
    found = []
    for record in root.glob("*/*/*/compile.json"):
        folder = record.parent
        try:
            size = sum(f.stat().st_size for f in folder.iterdir() if f.is_file())
            found.append((record.stat().st_mtime, size, folder))
        except OSError:
            continue
    return found


def prune(root: Path, keep: Path | None = None, limit: int | None = None) -> int:
    """Remove the least recently used builds under root until they fit limit; never keep. Bytes freed."""
    limit = max_bytes() if limit is None else limit
    builds = sorted(_builds(root))
    total, freed = sum(size for _, size, _ in builds), 0
    for _, size, folder in builds:
        if total - freed <= limit:
            break
        if keep is not None and folder == keep:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        freed += size
    return freed
