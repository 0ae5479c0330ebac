"""The cpu cache flush (harness/eviction.py): built once per machine, keeps every byte, names what it did,
and sweeps the caches where the helper cannot be built."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import numpy as np
import pytest

from szagents.backends.harness.eviction import CacheEviction

FLUSHES = {"x86_64": ("clflushopt", "clflush"), "aarch64": ("dc civac",)}


def _cache_env(tmp_path, **extra: str) -> dict[str, str]:
    return {**os.environ, "SZAGENTS_CACHE": str(tmp_path / "cache"), **extra}


def test_eviction_writes_back_every_byte_of_unaligned_regions():
    """Evicting writes dirty lines back: regions that start and end mid-line, and an empty one, keep their bytes."""
    rng = np.random.default_rng(7)
    block = rng.integers(0, 256, size=3 << 20, dtype=np.uint8)
    before = block.copy()
    regions = [block[3:1_000_003], block[1_000_003:1_000_003], block[1_500_001:3_000_017]]
    eviction = CacheEviction()
    eviction.evict(*regions)
    assert np.array_equal(block, before)
    expected = FLUSHES.get(platform.machine())
    if expected is None:
        pytest.skip(f"no cache-line flush known on {platform.machine()}: the sweep is tested below")
    assert eviction.method.startswith(expected), eviction.method


def test_the_helper_is_built_once_per_machine_and_reused(tmp_path):
    """Two processes with one cache folder: the first builds evict-<key>.so, the second loads that same file."""
    probe = ("import numpy as np; from szagents.backends.harness.eviction import CacheEviction;"
             "e = CacheEviction(); e.evict(np.ones(1 << 16, np.uint8)); print(e.method)")
    stamps = []
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", probe], env=_cache_env(tmp_path), capture_output=True, text=True,
                              check=True)
        built = sorted((tmp_path / "cache" / "tools").glob("evict-*.so"))
        assert len(built) == 1, built
        assert not list((tmp_path / "cache" / "tools").glob("*.tmp")), "a partial build was left behind"
        stamps.append((built[0].name, built[0].stat().st_mtime_ns))
        assert "sweep" not in done.stdout or platform.machine() not in FLUSHES, done.stdout
    assert stamps[0] == stamps[1]


def test_without_a_compiler_it_sweeps_and_says_why(tmp_path):
    """CC that cannot compile: the eviction still happens, by a sweep, and method names the sweep and the reason."""
    probe = ("import numpy as np; from szagents.backends.harness.eviction import CacheEviction;"
             "b = np.arange(1 << 16, dtype=np.uint8); e = CacheEviction(); e.evict(b);"
             "assert (b == np.arange(1 << 16, dtype=np.uint8)).all(); print(e.method)")
    done = subprocess.run([sys.executable, "-c", probe], env=_cache_env(tmp_path, CC="false"), capture_output=True,
                          text=True, check=True)
    assert done.stdout.startswith("a sweep of twice the largest cache (false could not build evict.c"), done.stdout
    assert not list((tmp_path / "cache" / "tools").glob("*")), "a failed build left files"
