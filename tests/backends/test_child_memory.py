"""The cpu runner child's host memory (child/device.py): raw addresses and ctypes copies, no numpy, so a child that
validates or benchmarks starts without numpy's import; a diagnosis child gets numpy's arrays."""

from __future__ import annotations

import ctypes
import subprocess
import sys

import pytest

from szagents.backends.child.arena import Arena
from szagents.backends.child.device import HostBuffer, HostDevice


def test_a_validating_or_benchmarking_cpu_child_imports_no_numpy_and_a_diagnosis_does():
    """What `python -m szagents.backends.child.runner` imports, then its device for each role."""
    probe = ("import sys, szagents.backends.child.runner; from szagents.backends.child.devices import make_device; "
             "[make_device('cpu', role) for role in ('compress', 'decompress')]; print('numpy' in sys.modules); "
             "make_device('cpu', 'diagnose'); print('numpy' in sys.modules)")
    done = subprocess.run([sys.executable, "-s", "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]


def test_arena_regions_and_allocations_copy_byte_for_byte():
    """Regions and allocations by address: copies, slices and a write through a pointer, seen by the parent's view."""
    pattern = bytes(i % 251 for i in range(10_000))
    arena = Arena()
    arena.add("a", 10_000)
    arena.add("b", 10_000)
    arena.create()
    try:
        arena.view("a")[:] = list(pattern)
        dev = HostDevice()
        a, b = dev.view(arena, "a"), dev.view(arena, "b")
        assert (a.size, b.size) == (10_000, 10_000) and b.address - a.address == 12_288  # page-aligned regions
        assert a.tobytes() == pattern
        buffer = dev.alloc(10_000)
        assert buffer.address % 4096 == 0 and buffer.tobytes() == bytes(10_000)  # fresh pages
        dev.copy_in(buffer, a)
        dev.copy_out(b[:5000], buffer[5000:])
        assert arena.view("b").tobytes() == pattern[5000:] + bytes(5000)  # the parent sees what the child wrote
        assert dev.pointer(buffer[100:]) == buffer.address + 100
        ctypes.memset(dev.pointer(buffer), 0xA5, 3)  # a kernel writes through the pointer
        assert buffer.tobytes()[:4] == b"\xa5\xa5\xa5" + pattern[3:4]
    finally:
        arena.close()


def test_a_copy_between_sizes_or_a_strided_slice_is_refused():
    dev = HostDevice()
    small, large = dev.alloc(16), dev.alloc(32)
    with pytest.raises(ValueError, match="copy of 32 bytes into a buffer of 16"):
        dev.copy_in(small, large)
    with pytest.raises(ValueError, match="contiguously"):
        large[::2]
    assert isinstance(large[40:], HostBuffer) and large[40:].size == 0
