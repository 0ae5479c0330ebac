"""Benchmark slots: at most one benchmark per device at a time, across threads and processes.

Concurrent runs (a study's local executor, Ray workers) may compile and validate at once, but a
benchmark timed while another kernel runs on the same device measures the neighbour too. The
slot is chosen by `$SZAGENTS_BENCH_SLOTS`:

- unset or empty: no slot (one run at a time needs none);
- a folder path (or `file:<path>`): an exclusive `fcntl.flock` on `<folder>/<device>.lock`; every
  hold is appended to `<folder>/holds.jsonl` (device, label, pid, acquired/released UTC timestamps);
- `<scheme>:<rest>` for a registered scheme (`ray:<namespace>`, the Ray executor's benchmarking
  actors), resolved lazily like model specs.

The device is the backend plus, for a backend that needs a GPU, the first visible one (`CUDA_VISIBLE_DEVICES`).
"""

from __future__ import annotations

import fcntl
import importlib
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from pathlib import Path
from typing import ContextManager

from szagents.backends.registry import needs_gpu
from szagents.errors import UnknownSpecError
from szagents.paths import cache_dir

__all__ = ["ENV_VAR", "HOLDS_FILE", "bench_slot", "bench_slots_env", "device_key", "file_slot"]

ENV_VAR = "SZAGENTS_BENCH_SLOTS"
HOLDS_FILE = "holds.jsonl"
_SCHEMES = {"ray": "szagents.studies.ray_slots:ray_slot"}  # scheme -> "module:factory(rest, device)"


def device_key(backend_name: str) -> str:
    """The device a backend times on: 'cpu', 'cuda0', 'cuda3', 'cerebras' (a GPU backend's name + its GPU)."""
    if _on_gpu(backend_name):
        visible = os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",")[0].strip()
        return f"{backend_name}{visible or '0'}"
    return backend_name


def _on_gpu(backend_name: str) -> bool:
    try:
        return needs_gpu(backend_name)
    except UnknownSpecError:  # a backend handed in directly (not registered): a device of its own, by its name
        return False


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


@contextmanager
def file_slot(folder: Path, device: str, label: str = "") -> Iterator[float]:
    """Hold the device's lock file exclusively; yields the seconds spent waiting for it."""
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with open(folder / f"{device}.lock", "a+") as handle:  # own open file: flock excludes threads too
        fcntl.flock(handle, fcntl.LOCK_EX)
        acquired, waited = _now(), time.perf_counter() - start
        try:
            yield waited
        finally:
            hold = {"device": device, "label": label, "pid": os.getpid(), "thread": threading.get_ident(),
                    "acquired": acquired, "released": _now(), "waited_seconds": round(waited, 6)}
            with open(folder / HOLDS_FILE, "a") as log:  # written while still holding the lock
                log.write(json.dumps(hold) + "\n")
            fcntl.flock(handle, fcntl.LOCK_UN)


def bench_slot(backend_name: str, label: str = "", spec: str | None = None) -> ContextManager[object]:
    """The slot a benchmark on backend_name must hold (spec default: $SZAGENTS_BENCH_SLOTS); label names the holder."""
    spec = os.environ.get(ENV_VAR, "") if spec is None else spec
    if not spec.strip():
        return nullcontext()
    device = device_key(backend_name)
    scheme, sep, rest = spec.partition(":")
    if sep and scheme in _SCHEMES:
        module, _, attr = _SCHEMES[scheme].partition(":")
        return getattr(importlib.import_module(module), attr)(rest, device, label)
    if sep and scheme == "file":
        return file_slot(Path(rest), device, label)
    if sep and "/" not in scheme and len(scheme) > 1:
        raise UnknownSpecError(f"{ENV_VAR}={spec!r}: unknown scheme {scheme!r}; use a folder path, "
                               f"'file:<folder>' or one of {', '.join(f'{s}:...' for s in _SCHEMES)}")
    return file_slot(Path(spec), device, label)


@contextmanager
def bench_slots_env(spec: str | None = None) -> Iterator[str]:
    """Turn benchmark slots on for this process (default: $SZAGENTS_BENCH_SLOTS, else the cache's bench-slots/)."""
    before = os.environ.get(ENV_VAR)
    chosen = spec or before or str(cache_dir("bench-slots"))
    os.environ[ENV_VAR] = chosen
    try:
        yield chosen
    finally:
        if before is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = before
