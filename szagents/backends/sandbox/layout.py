"""What a sandbox sees: its file system view, devices and environment (bubblewrap arguments)."""

from __future__ import annotations

import glob
import importlib.util
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["SandboxSpec", "bwrap_args", "python_paths", "SYSTEM_DIRS", "PACKAGE_DIR"]

PACKAGE_DIR = Path(__file__).resolve().parents[2]  # the szagents package folder
SYSTEM_DIRS = ("/usr", "/etc", "/opt")  # read-only; /root, /home, /run, /var, /srv, /mnt are never shown
_TOP_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_GPU_NODES = ("/dev/nvidia*", "/dev/nvidia-caps", "/dev/dri")


@dataclass(frozen=True)
class SandboxSpec:
    """A sandbox's view: extra read-only and writable paths (same path inside), GPU nodes, Python.

    Everything else of the host is absent: no /root, /home or other users' files, a private
    /tmp of Limits.scratch_bytes, an own /proc, a minimal /dev, no network.
    """

    ro: tuple[Path, ...] = ()
    rw: tuple[Path, ...] = ()
    mounts: tuple[tuple[Path, str], ...] = ()  # (host path, path inside) read-only, for staged inputs
    gpu: bool = False
    python: bool = False  # the interpreter, its environment and the szagents package (runner children)
    cwd: str = "/tmp"
    env: dict[str, str] = field(default_factory=dict)


# What the runner child imports besides the standard library and szagents (CuPy and its helpers on cuda).
RUNNER_PACKAGES = ("numpy", "pydantic", "pydantic_core", "typing_extensions", "annotated_types",
                   "typing_inspection", "structlog", "cupy", "cupy_backends", "fastrlock",
                   "cupti", "cuda", "nvidia")  # cupti-python, its cuda-bindings and libcupti (device_trace.py)


def python_paths() -> list[Path]:
    """Folders the interpreter needs to start and import the runner's packages and szagents.

    The interpreter's own folders (prefix, base prefix, their sys.path entries) and, outside them, only
    the sys.path folders that provide one of RUNNER_PACKAGES. Never the working directory, the
    repository, or a project folder a script put on sys.path: it may hold a `.env` no kernel may read.
    """
    prefixes = [Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()]
    paths = {*prefixes, Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parent}
    providers = _providers()
    for entry in sys.path:
        p = Path(entry or ".").resolve()
        inside = any(p == q or q in p.parents for q in prefixes)
        if p.is_dir() and p not in (PACKAGE_DIR.parent, Path.cwd()) and (inside or p in providers):
            paths.add(p)
    return sorted(p for p in paths if not _under_system(p) and p.exists())


def runner_pythonpath() -> list[str]:
    """The PYTHONPATH a runner child needs: the folder holding szagents, then the folders outside the
    interpreter's prefixes that provide RUNNER_PACKAGES (wheels installed with --target, say)."""
    prefixes = [Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()]
    outside = [p for p in sorted(_providers()) if not any(p == q or q in p.parents for q in prefixes)]
    return [str(PACKAGE_DIR.parent)] + [str(p) for p in outside if p != PACKAGE_DIR.parent]


def _providers() -> set[Path]:
    """The sys.path folders RUNNER_PACKAGES are found in (found, not imported)."""
    found = set()
    for name in RUNNER_PACKAGES:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None:
            continue
        if spec.submodule_search_locations:  # a package: the folder holding its folder
            found.update(Path(location).resolve().parent for location in spec.submodule_search_locations)
        elif spec.origin and spec.origin not in ("built-in", "frozen"):  # a module file: its folder
            found.add(Path(spec.origin).resolve().parent)
    return found


def _under_system(path: Path) -> bool:
    return any(str(path) == d or str(path).startswith(d + "/") for d in SYSTEM_DIRS)


def _parents(paths: list[str]) -> list[str]:
    """Every ancestor folder of paths (created 0755 so a private uid can walk to the binds)."""
    seen: list[str] = []
    for p in paths:
        for parent in reversed(Path(p).parents):
            s = str(parent)
            if s != "/" and s not in seen and not _under_system(parent):
                seen.append(s)
    return seen


def _gpu_nodes() -> list[str]:
    return sorted(n for pattern in _GPU_NODES for n in glob.glob(pattern))


def bwrap_args(spec: SandboxSpec, scratch_bytes: int) -> list[str]:
    """bwrap options (without the command) for spec."""
    args = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--clearenv"]
    for top in _TOP_LINKS:
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for d in SYSTEM_DIRS:
        if os.path.isdir(d):
            args += ["--ro-bind", d, d]
    args += ["--ro-bind-try", "/sys", "/sys", "--proc", "/proc", "--dev", "/dev"]
    args += ["--perms", "1777", "--size", str(scratch_bytes), "--tmpfs", "/tmp"]
    ro = [str(p) for p in spec.ro] + ([str(p) for p in python_paths()] + [str(PACKAGE_DIR)] if spec.python else [])
    rw = [str(p) for p in spec.rw]
    inside = [dest for _, dest in spec.mounts]
    for parent in _parents(ro + rw + inside):
        args += ["--perms", "0755", "--dir", parent]
    for p in ro:
        args += ["--ro-bind", p, p]
    for src, dest in spec.mounts:
        args += ["--ro-bind", str(src), dest]
    if spec.python:  # an installed wheel carries the task material; the runner needs none of it
        data = PACKAGE_DIR / "_data"
        if data.is_dir():
            args += ["--tmpfs", str(data)]
    for p in rw:
        args += ["--bind", p, p]
    if spec.gpu:
        for node in _gpu_nodes():
            args += ["--dev-bind", node, node]
    for key, value in spec.env.items():
        args += ["--setenv", key, value]
    return args + ["--chdir", spec.cwd]
