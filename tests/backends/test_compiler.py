"""Compile caching, recorded flags, diagnostics and missing-toolchain errors of the cpu backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from szagents.backends.cpu import CpuBackend, CpuConfig
from szagents.backends.diagnostics import summarize_log
from szagents.backends.protocol import KernelSpec
from szagents.errors import ToolchainError

ADVERSARIAL = Path(__file__).parent / "adversarial"
SPEC = KernelSpec(codec="raw")


def _copy(tmp_path: Path, name: str) -> list[Path]:
    """Copies of an adversarial source made unique to this test, so no earlier build is cached."""
    for file in (name, "raw_common.h"):
        (tmp_path / file).write_text((ADVERSARIAL / file).read_text() + f"\n/* {tmp_path} */\n")
    return [tmp_path / name, tmp_path / "raw_common.h"]


def test_identical_sources_reuse_the_cached_build(tmp_path):
    """A second compile of the same bytes and flags is a cache hit returning the same library."""
    backend = CpuBackend()
    first = backend.compile(_copy(tmp_path, "honest.c"), SPEC, tmp_path)
    second = backend.compile(_copy(tmp_path, "honest.c"), SPEC, tmp_path)
    assert first.ok and not first.cached
    assert second.cached and second.library == first.library


def test_changing_a_listed_header_or_a_define_rebuilds(tmp_path):
    """Headers passed with the sources and -D defines are part of the cache key."""
    backend = CpuBackend()
    sources = _copy(tmp_path, "honest.c")
    base = backend.compile(sources, SPEC, tmp_path)
    (tmp_path / "raw_common.h").write_text((tmp_path / "raw_common.h").read_text() + "\n/* edit */\n")
    edited = backend.compile(sources, SPEC, tmp_path)
    defined = backend.compile(sources, KernelSpec(codec="raw", defines={"SZP_OUTLIER": "1"}), tmp_path)
    assert len({base.content_sha256, edited.content_sha256, defined.content_sha256}) == 3
    assert not edited.cached and "-DSZP_OUTLIER=1" in defined.command


def test_flags_are_recorded(tmp_path):
    """The compile result records the full gcc command with -O3 -march=native -fopenmp."""
    build = CpuBackend().compile(_copy(tmp_path, "honest.c"), SPEC, tmp_path)
    for flag in ("-O3", "-march=native", "-fopenmp", "-shared", "-fPIC"):
        assert flag in build.command
    assert build.compiler == "gcc" and build.compile_seconds > 0


def test_missing_compiler_is_a_clear_error(tmp_path):
    """A backend whose compiler is absent says so in availability() and raises with the fix."""
    backend = CpuBackend(CpuConfig(compiler="no-such-cc-1234"))
    state = backend.availability()
    assert not state.available and "no-such-cc-1234" in state.reason and "apt-get install gcc" in state.fix
    with pytest.raises(ToolchainError, match="no-such-cc-1234"):
        backend.compile(_copy(tmp_path, "honest.c"), SPEC, tmp_path)


def test_diagnostics_keep_the_first_errors_when_cut():
    """A long log is cut to the limit, keeping the first error lines and counting the rest."""
    log = "\n".join(["note: noise " * 5] * 200 + [f"k.c:{i}:1: error: bad thing {i}" for i in range(300)])
    short = summarize_log(log, limit=2000)
    assert len(short) <= 2000
    assert "k.c:0:1: error: bad thing 0" in short and "more lines cut" in short
    assert summarize_log("tiny log", limit=2000) == "tiny log"
