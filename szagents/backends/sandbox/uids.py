"""Private uids for sandboxes run by root: allocated under a lock, never derived from a pid."""

from __future__ import annotations

import fcntl
import os
import secrets
from contextlib import contextmanager
from collections.abc import Iterator
from pathlib import Path

__all__ = ["UID_BASE", "UID_COUNT", "private_uid"]

UID_BASE = 2_100_000_000  # far above any account's uid and any subuid range in common use
UID_COUNT = 1 << 20
_LOCKS = Path("/run/szagents-uids")


@contextmanager
def private_uid(lock_dir: Path = _LOCKS) -> Iterator[int]:
    """Hold a uid no other live sandbox holds (an flock on its file) for the with-block."""
    lock_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    for _ in range(256):
        uid = UID_BASE + secrets.randbelow(UID_COUNT)
        fd = os.open(lock_dir / str(uid), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield uid
        finally:
            os.unlink(lock_dir / str(uid))
            os.close(fd)
        return
    raise RuntimeError("no free private uid after 256 tries")  # 2^20 uids: only a leak gets here
