"""Shared memory between the trusted parent and an untrusted harness child: one memfd, named regions.

The parent creates the arena, lays out every input and output region, and hands the child the
file descriptor. The child maps it and reads and writes in place; the parent reads the outputs
only after the child's whole process tree is dead, so nothing can change them while they are
checked. The layout travels in the child's orders (`Arena.layout()`, an orders.ArenaLayout).
"""

from __future__ import annotations

import ctypes
import fcntl
import mmap
import os
from typing import Any

from szagents.backends.child.orders import ArenaLayout

__all__ = ["Arena"]

_ALIGN = 4096


class Arena:
    """Named byte regions in one shared mapping. A plain class, not a dataclass: every harness child imports this
    module, and leaving out `dataclasses` (with `inspect`) and `platform` took about a quarter off a child's imports
    (2026-12-07)."""

    def __init__(self, size: int = 0, regions: dict[str, tuple[int, int]] | None = None, fd: int = -1) -> None:
        self.size = size
        self.regions: dict[str, tuple[int, int]] = {} if regions is None else regions  # name -> (offset, nbytes)
        self.fd = fd
        self._map: mmap.mmap | None = None
        self._pin: Any = None  # child side: a ctypes view of the mapping, whose address is the arena's base

    def add(self, name: str, nbytes: int) -> None:
        """Reserve nbytes (page-aligned) under name; call before create()."""
        self.regions[name] = (self.size, int(nbytes))
        self.size += -(-max(int(nbytes), 1) // _ALIGN) * _ALIGN

    def create(self) -> Arena:
        """Parent side: the anonymous file and its mapping. The file is sealed against shrinking (a child
        that truncates it would otherwise make the parent's next read of its mapping a SIGBUS) and against
        further seals (a child's F_SEAL_GROW or F_SEAL_FUTURE_WRITE would make the parent's writes fail)."""
        self.fd = os.memfd_create("szagents-arena", os.MFD_ALLOW_SEALING)
        os.ftruncate(self.fd, max(self.size, _ALIGN))
        fcntl.fcntl(self.fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_SEAL)  # and no child adds seals
        self._map = mmap.mmap(self.fd, max(self.size, _ALIGN))
        return self

    def grow(self) -> None:
        """Parent side: extend the file to the regions added since create() and map it anew (never shrink
        it: a child may have grown it, and the seal refuses a shrink)."""
        if self._map is not None:
            self._map.close()
        size = max(self.size, _ALIGN)
        if os.fstat(self.fd).st_size < size:
            os.ftruncate(self.fd, size)
        # Populated at once: the parent writes every repetition's input just before its `go`, and page
        # faults one page at a time there would lengthen the pause between repetitions.
        self._map = mmap.mmap(self.fd, size, flags=mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0))

    @classmethod
    def attach(cls, fd: int, layout: ArenaLayout) -> Arena:
        """Child side: map the parent's arena from its descriptor."""
        arena = cls(size=layout.size, regions=dict(layout.regions), fd=fd)
        # Populate every page now: a first touch inside a timed kernel call would be charged to the kernel.
        flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
        arena._map = mmap.mmap(fd, max(arena.size, _ALIGN), flags=flags)
        return arena

    def layout(self) -> ArenaLayout:
        return ArenaLayout(self.size, dict(self.regions))

    def view(self, name: str, dtype: Any = "u1") -> Any:
        """A numpy view of region name (no copy). numpy is imported here, not with the module: a cpu child
        validates and benchmarks through address() alone and never pays numpy's import (about 0.1 CPU-s)."""
        import numpy as np

        offset, nbytes = self.regions[name]
        itemsize = np.dtype(dtype).itemsize
        return np.frombuffer(self._map, dtype=dtype, count=nbytes // itemsize, offset=offset)  # type: ignore[arg-type]

    def address(self, name: str) -> int:
        """Child side: the address of region name in this process (the mapping stays mapped while the arena lives)."""
        if self._pin is None:
            self._pin = ctypes.c_char.from_buffer(self._map)  # type: ignore[arg-type]
        return ctypes.addressof(self._pin) + self.regions[name][0]

    def close(self) -> None:
        self._pin = None
        if self._map is not None:
            try:
                self._map.close()
            except BufferError:  # a view is still alive: the mapping goes with the last one
                pass
            self._map = None
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
