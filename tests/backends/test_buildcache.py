"""The build cache stays bounded: one library by the compile's file-size limit, all of them by LRU pruning."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from szagents.backends.build import cache as buildcache
from szagents.backends.cpu import CpuBackend
from szagents.backends.protocol import KernelSpec


def _build(root: Path, key: str, size: int, used: float) -> Path:
    folder = root / "cpu" / key[:2] / key
    folder.mkdir(parents=True)
    (folder / "lib.so").write_bytes(b"\0" * size)
    record = folder / "compile.json"
    record.write_text("{}")
    os.utime(record, (used, used))
    return folder


def test_prune_removes_least_recently_used_builds_until_under_the_cap(tmp_path):
    """Four 1000-byte builds, cap 2500: the two used longest ago go; the one just built is always kept."""
    old, older, recent, new = (_build(tmp_path, k, 1000, t) for k, t in
                               (("aa1", 300.0), ("bb2", 100.0), ("cc3", 500.0), ("dd4", 50.0)))
    freed = buildcache.prune(tmp_path, keep=new, limit=2500)
    assert freed >= 2000 and not older.exists() and not old.exists() and recent.exists() and new.exists()


def test_the_cap_comes_from_the_environment_and_bad_values_say_how_to_fix(monkeypatch):
    monkeypatch.setenv("SZAGENTS_CACHE_MAX_BYTES", "12345")
    assert buildcache.max_bytes() == 12345
    monkeypatch.setenv("SZAGENTS_CACHE_MAX_BYTES", "4GB")
    with pytest.raises(ValueError, match="SZAGENTS_CACHE_MAX_BYTES='4GB'.*unset it"):
        buildcache.max_bytes()


def test_a_library_over_the_compile_file_size_limit_fails_to_build(tmp_path, monkeypatch):
    """An 80 MiB initialized array makes the library too big: a compile error, nothing stored in the cache."""
    monkeypatch.setenv("SZAGENTS_CACHE", str(tmp_path / "cache"))
    source = tmp_path / "big.c"
    source.write_text('#include "sz_abi.h"\nstatic volatile char big[80 << 20] = {1};\n'
                      "int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t cap, size_t *ob,"
                      " void *s) { (void)in; (void)n; (void)eb; (void)cap; (void)s; out[0] = big[0]; *ob = 1;"
                      " return 0; }\n"
                      "int sz_decompress(const uint8_t *in, size_t nb, size_t n, float eb, float *out, void *s)"
                      " { (void)in; (void)nb; (void)eb; (void)s; out[0] = big[n]; return 0; }\n")
    build = CpuBackend().compile([source], KernelSpec(codec="raw"), tmp_path / "work")
    assert not build.ok and build.library is None
    assert "File size limit exceeded" in build.log or "signal 25" in build.log, build.log[-500:]
    assert not list((tmp_path / "cache").rglob("lib.so"))
