"""Backends by name: built-ins resolved lazily, third parties through entry points."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from szagents.backends.protocol import Backend, Requirements
from szagents.errors import SzAgentsError, UnknownSpecError

__all__ = ["BUILTIN_BACKENDS", "DEFAULT_BACKEND", "backend_names", "get_backend", "configured_backend", "requirements",
           "needs_gpu", "reference_backends"]

BUILTIN_BACKENDS = {
    "cpu": "szagents.backends.cpu:CpuBackend",
    "cuda": "szagents.backends.cuda:CudaBackend",
    "cerebras": "szagents.backends.cerebras:CerebrasBackend",
}
DEFAULT_BACKEND = "cpu"
"""The backend a command uses when none is named: the one every host can run (a C compiler is all it needs)."""
_GROUP = "szagents.backends"


def _targets() -> dict[str, str]:
    found = dict(BUILTIN_BACKENDS)
    for ep in entry_points(group=_GROUP):
        found.setdefault(ep.name, ep.value)
    return found


def backend_names() -> list[str]:
    """Names get_backend accepts."""
    return sorted(_targets())


def get_backend(name: str) -> Backend:
    """Build the backend registered under name (its prerequisites are checked by availability())."""
    # A built-in name wins over an entry point of the same name, so it needs no scan of the installed
    # distributions' metadata (about 14 ms in a full environment, paid on every evaluation until 2026-12-07).
    targets = BUILTIN_BACKENDS if name in BUILTIN_BACKENDS else _targets()
    if name not in targets:
        raise UnknownSpecError(f"unknown backend {name!r}; known backends: {', '.join(sorted(targets))}")
    module_name, _, attr = targets[name].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise UnknownSpecError(
            f"backend {name!r} is registered but its module {module_name} is not installed here ({exc})"
        ) from None
    backend = getattr(module, attr)()
    missing = [m for m in ("name", "requirements", "availability", "compile", "validate", "benchmark")
               if not hasattr(backend, m)]
    if missing:
        raise UnknownSpecError(
            f"backend {name!r} ({targets[name]}) does not keep the Backend protocol: it lacks {', '.join(missing)} "
            "(see szagents.backends.protocol; szagents.backends.conformance checks a backend)")
    return backend


def configured_backend(name: str, harness_timeout_s: float | None = None) -> Backend:
    """The backend registered as name; with harness_timeout_s, its harness children get that wall limit."""
    backend = get_backend(name)
    config = getattr(backend, "config", None)
    if harness_timeout_s is None or config is None or not hasattr(config, "run_limits"):
        return backend
    limits = config.run_limits.model_copy(update={"wall_seconds": float(harness_timeout_s)})
    return type(backend)(config.model_copy(update={"run_limits": limits}))  # type: ignore[call-arg]


def requirements(name: str) -> Requirements:
    """What the backend registered as name needs (target files, description, GPU, material, profiler)."""
    return get_backend(name).requirements


def needs_gpu(name: str) -> bool:
    """Whether runs on the backend registered as name need a GPU (a device slot per GPU, one GPU per run)."""
    return requirements(name).gpu


def reference_backends() -> list[str]:
    """The registered backends that declare reference sources and can run here (ones that cannot be built left out)."""
    usable = []
    for name in backend_names():
        try:
            backend = get_backend(name)
        except (SzAgentsError, ValueError):  # a plug-in that is not installed, a bad SZAGENTS_* setting
            continue
        if backend.requirements.reference_sources and backend.availability().available:
            usable.append(name)
    return usable
