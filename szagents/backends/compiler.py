"""Compile sources into a shared library in a limited child process, cached by content hash."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from szagents.backends.results import CompileResult
from szagents.backends.sandbox import Limits, run_limited
from szagents.paths import cache_dir

__all__ = ["compiler_version", "content_hash", "build_library", "cached_build", "store_build"]


@functools.lru_cache(maxsize=8)
def compiler_version(executable: str) -> str:
    """First line of `executable --version` (part of the cache key)."""
    done = subprocess.run([executable, "--version"], capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).splitlines()[0] if (done.stdout or done.stderr) else executable


def content_hash(files: Sequence[Path], command: Sequence[str]) -> str:
    """sha256 over the command (without paths of outputs) and every file's name and bytes."""
    digest = hashlib.sha256()
    digest.update(json.dumps(list(command)).encode())
    for path in sorted(files, key=lambda p: p.name):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


_RECORD = "compile.json"


def cached_build(backend: str, key: str) -> tuple[Path, CompileResult | None]:
    """(build folder for key, the earlier result stored there if it is still usable)."""
    folder = cache_dir("builds", backend, key[:2], key)
    record = folder / _RECORD
    if record.exists():
        cached = CompileResult.model_validate_json(record.read_text())
        if not cached.ok or (cached.library and cached.library.exists()):
            return folder, cached.model_copy(update={"cached": True})
    return folder, None


def store_build(folder: Path, result: CompileResult) -> None:
    """Record result for later reuse (atomically); a timeout may be the machine's load: not kept."""
    if result.timed_out:
        return
    tmp = folder / (_RECORD + ".tmp")
    tmp.write_text(result.model_dump_json(indent=1))
    os.replace(tmp, folder / _RECORD)


def build_library(
    *,
    backend: str,
    executable: str,
    flags: Sequence[str],
    sources: Sequence[Path],
    extra_inputs: Sequence[Path],
    workdir: Path,
    limits: Limits,
) -> CompileResult:
    """Compile sources (plus flags) into lib.so in the build cache; reuse an identical build."""
    sources = [Path(s).resolve() for s in sources]
    key_command = [compiler_version(executable), *flags]
    key = content_hash([*sources, *extra_inputs], key_command)
    folder, cached = cached_build(backend, key)
    if cached is not None:
        return cached
    target = folder / "lib.so.tmp"
    command = [executable, *flags, *map(str, sources), "-o", str(target)]
    start = time.perf_counter()
    outcome = run_limited(command, limits=limits.model_copy(update={"drop_privileges": False}), cwd=workdir)
    seconds = time.perf_counter() - start
    ok = outcome.returncode == 0 and not outcome.timed_out and target.exists()
    library = None
    if ok:
        library = folder / "lib.so"
        os.replace(target, library)
    log = outcome.stderr + outcome.stdout
    if outcome.timed_out:
        log += f"\n[compiler killed after {limits.wall_seconds:g} s wall-clock limit]"
    result = CompileResult(
        ok=ok, backend=backend, compiler=executable, command=command[:-1] + [str(library or target)],
        sources=[s.name for s in sources], content_sha256=key, library=library, log=log,
        compile_seconds=seconds, timed_out=outcome.timed_out,
    )
    store_build(folder, result)
    return result

