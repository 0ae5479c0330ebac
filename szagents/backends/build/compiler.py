"""Compile sources into a shared library inside the sandbox, cached by content hash.

The compiler sees a staged copy of the given files at /sandbox/src and the ABI headers at
/sandbox/abi, both read-only, and writes only into its private /tmp; the library comes back
through an inherited file descriptor. Nothing else of the host's files resolves: an include of
`../szx/reference.c` or of a root-only file is a compile error. Because every file the compiler
can read besides the system headers is staged, the cache key (all staged files, flags and the
compiler's identity) covers every file it actually read.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import secrets
import stat
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from szagents.backends.build import cache as buildcache
from szagents.backends.results import CompileResult
from szagents.backends.sandbox import Isolation, Limits, ProcessOutcome, SandboxSpec, chosen_isolation, run_limited
from szagents.paths import cache_dir

__all__ = ["compiler_version", "content_hash", "build_library", "cached_build", "store_build",
           "SRC_INSIDE", "ABI_INSIDE", "read_library"]

SRC_INSIDE = "/sandbox/src"
ABI_INSIDE = "/sandbox/abi"
_BUILD = 'set -e; cd "$TMPDIR"; "$@" -o "$TMPDIR/lib.so"; cat "$TMPDIR/lib.so" >&3'


@functools.lru_cache(maxsize=8)
def compiler_version(executable: str) -> str:
    """First line of `executable --version` (part of the cache key)."""
    done = subprocess.run([executable, "--version"], capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).splitlines()[0] if (done.stdout or done.stderr) else executable


def content_hash(files: Mapping[str, bytes] | Sequence[Path], command: Sequence[str]) -> str:
    """sha256 over the command and every file's name and bytes (a name -> bytes map, or paths by their names)."""
    if not isinstance(files, Mapping):
        files = {Path(p).name: Path(p).read_bytes() for p in files}
    digest = hashlib.sha256()
    digest.update(json.dumps(list(command)).encode())
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name] + b"\0")
    return digest.hexdigest()


_RECORD = "compile.json"


def cached_build(backend: str, key: str) -> tuple[Path, CompileResult | None]:
    """(build folder for key, the earlier result stored there if it is still usable)."""
    folder = cache_dir("builds", backend, key[:2], key)
    record = folder / _RECORD
    if record.exists():
        cached = CompileResult.model_validate_json(record.read_text())
        if not cached.ok or (cached.library and cached.library.exists()):
            buildcache.touch(record)
            return folder, cached.model_copy(update={"cached": True})
    return folder, None


def store_build(folder: Path, result: CompileResult) -> None:
    """Record result for later reuse (atomically); a timeout may be the machine's load: not kept."""
    if result.timed_out:
        return
    tmp = folder / f"{_RECORD}.{secrets.token_hex(6)}.tmp"  # concurrent builds of one key each write their own
    tmp.write_text(result.model_dump_json(indent=1))
    os.replace(tmp, folder / _RECORD)
    if result.ok:
        buildcache.prune(cache_dir("builds"), keep=folder)


def read_library(path: Path) -> bytes:
    """The bytes of a built library: a regular file, never followed through a link."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
        with os.fdopen(os.dup(fd), "rb") as f:
            return f.read()
    finally:
        os.close(fd)


def _staged(sources: Sequence[Path], extra_inputs: Sequence[Path], workdir: Path) -> dict[str, bytes]:
    """relative name -> bytes of every file the compile may read (paths under workdir keep their folders)."""
    files: dict[str, bytes] = {}  # sources first, in order: the compiled ones are the first len(sources)
    for path in [*sources, *extra_inputs]:
        path = Path(path)
        try:
            name = str(path.resolve().relative_to(Path(workdir).resolve()))
        except ValueError:
            name = path.name
        files[name] = path.read_bytes()
    return files


def _write_stage(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        target.write_bytes(data)
        target.chmod(0o644)


def _spec(stage: Path, abi: Path, executable: str) -> SandboxSpec:
    """The compiler's view: staged sources, ABI headers, the toolchain (when outside /usr)."""
    tool_root = Path(shutil.which(executable) or executable).resolve().parents[1]
    extra = tuple(p for p in {tool_root, *(Path(os.environ[v]) for v in ("CUDA_HOME", "CUDA_PATH") if v in os.environ)}
                  if p.is_dir() and not str(p).startswith(("/usr/", "/etc/", "/opt/")))
    return SandboxSpec(ro=extra, mounts=((stage, SRC_INSIDE), (abi, ABI_INSIDE)), cwd="/tmp")


def build_library(
    *,
    backend: str,
    executable: str,
    flags: Sequence[str],
    sources: Sequence[Path],
    extra_inputs: Sequence[Path],
    workdir: Path,
    limits: Limits,
    abi_dir: Path,
    isolation: Isolation | str | None = None,
) -> CompileResult:
    """Compile sources (flags + `-I` the ABI headers) into lib.so in the build cache; reuse an identical build."""
    mode = chosen_isolation(isolation)
    files = _staged(sources, extra_inputs, workdir)
    abi = {p.name: p.read_bytes() for p in sorted(abi_dir.iterdir()) if p.is_file()}
    key_flags = [*flags, "-I", ABI_INSIDE]
    key = content_hash({**files, **{f"{ABI_INSIDE}/{k}": v for k, v in abi.items()}},
                       [compiler_version(executable), *key_flags])
    folder, cached = cached_build(backend, key)
    if cached is not None:
        return cached
    with tempfile.TemporaryDirectory(dir=cache_dir("staging")) as tmp:
        root = Path(tmp)
        stage, abi_stage, scratch = root / "src", root / "abi", root / "tmp"
        _write_stage(stage, files)
        _write_stage(abi_stage, abi)
        scratch.mkdir()
        for d in (root, stage, abi_stage):
            d.chmod(0o755)
        src, inc = (SRC_INSIDE, ABI_INSIDE) if mode is Isolation.bwrap else (str(stage), str(abi_stage))
        command = [executable, *flags, "-I", inc, *(f"{src}/{name}" for name in list(files)[:len(sources)])]
        target = folder / f"lib.so.{secrets.token_hex(6)}.tmp"  # concurrent builds of one key must not share it
        with open(target, "wb") as out:
            outcome = run_limited(["/bin/sh", "-c", _BUILD, "sh", *command], limits=limits, cwd=stage,
                                  spec=_spec(stage, abi_stage, executable), isolation=mode,
                                  env={"TMPDIR": "/tmp" if mode is Isolation.bwrap else str(scratch)},
                                  fd_map={3: out.fileno()})
    return _result(backend, executable, command, files, key, folder, target, outcome, limits)


def _result(backend: str, executable: str, command: list[str], files: dict[str, bytes], key: str,
            folder: Path, target: Path, outcome: ProcessOutcome, limits: Limits) -> CompileResult:
    """Keep the library when the compile succeeded; record the result for the cache."""
    ok = outcome.returncode == 0 and not outcome.timed_out and target.stat().st_size > 0
    library = folder / "lib.so" if ok else None
    if library is not None:
        os.replace(target, library)
    else:
        target.unlink(missing_ok=True)
    log = outcome.stderr + outcome.stdout
    for inside in (SRC_INSIDE + "/", ABI_INSIDE + "/"):
        log = log.replace(inside, "")
    if outcome.timed_out:
        log += f"\n[compiler killed after {limits.wall_seconds:g} s wall-clock limit]"
    result = CompileResult(
        ok=ok, backend=backend, compiler=executable, command=[*command, "-o", str(library or target)],
        sources=sorted(files), content_sha256=key, library=library, log=log,
        compile_seconds=outcome.wall_seconds, timed_out=outcome.timed_out, isolation=outcome.isolation,
    )
    store_build(folder, result)
    return result
