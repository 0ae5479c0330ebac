"""Entry point of the isolated child process: `python -m szagents.backends.runner`.

Reads one JSON request on stdin, loads the datasets and the kernel library, drops privileges,
runs the harness and writes JSON lines (progress, then one result) to a private copy of stdout.
The kernel's own prints go to stderr. Everything the child imports is imported before the
privilege drop, because the interpreter's files may not be readable afterwards.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import sys
import traceback
from typing import Any, TextIO

import numpy as np

from szagents.backends.device import HostDevice, KernelLibrary
from szagents.backends.harness import Case, Harness, failure_fields

__all__ = ["main"]

# Children drop to a private uid no account uses: RLIMIT_NPROC counts every process and thread of
# a uid, so a shared uid (nobody) would let concurrent harness runs starve each other's threads.
_PRIVATE_UID_BASE = 1_000_000


def _emit(channel: TextIO, **fields: Any) -> None:
    channel.write(json.dumps(fields) + "\n")
    channel.flush()


def _load_cases(specs: list[dict[str, Any]]) -> list[Case]:
    cases = []
    for spec in specs:
        data = np.ascontiguousarray(np.load(spec["path"]).ravel())
        expected = None
        if spec.get("expected_stream_path"):
            with open(spec["expected_stream_path"], "rb") as f:
                expected = f.read()
        cases.append(Case(spec["dataset"], data, float(spec["eb"]), int(spec["capacity"]), expected))
    return cases


def _memfd_copy(path: str) -> int:
    """Copy the library into an anonymous file readable after the privilege drop."""
    fd = os.memfd_create("kernel.so")
    with open(path, "rb") as f:
        os.write(fd, f.read())
    return fd


def _drop_privileges(limits: dict[str, Any]) -> None:
    """When root (which ignores RLIMIT_NPROC), become a private uid; then cap processes and threads."""
    if limits.get("drop_privileges", True) and os.geteuid() == 0:
        private = _PRIVATE_UID_BASE + os.getpid()  # pids are unique among live processes
        os.setgroups([])
        os.setgid(private)
        os.setuid(private)
        ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE: keep /proc/self/fd readable
    nproc = int(limits["processes"])
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))


def _make_device(name: str) -> Any:
    if name == "cpu":
        return HostDevice()
    from szagents.backends.cuda_device import CudaDevice  # only the cuda runner needs CuPy

    return CudaDevice()


def _library(request: dict[str, Any], device: Any) -> KernelLibrary:
    """Load the kernel library after dropping privileges (AttributeError: an ABI symbol is missing)."""
    device.prepare(np.dtype(request["dtype"]))  # compile what the checks need while still privileged
    fd = _memfd_copy(request["library"])
    _drop_privileges(request["limits"])
    # A private uid can't read kernel caches other uids wrote (CuPy writes them 0600): compile any
    # kernel the warm-up missed in memory.
    os.environ["CUPY_CACHE_IN_MEMORY"] = "1"
    return KernelLibrary(ctypes.CDLL(f"/proc/self/fd/{fd}"), np.dtype(request["dtype"]))


def _each(harness: Harness, device: Any, cases: list[Case], run: Any, channel: TextIO) -> dict[str, Any]:
    """Run `run(case)` over cases; stop at the first classified failure and report it."""
    outcomes: list[dict[str, Any]] = []
    for index, case in enumerate(cases):
        _emit(channel, progress="case", case=index, dataset=case.dataset)
        try:
            outcomes.append(run(case))
        except device.fault_types as exc:  # a CUDA error: the kernel broke the device context
            return {"verdict": "crash", "detail": f"device error during {harness.phase}: {exc}",
                    "cases": outcomes, "failed_case": case.dataset}
        except Exception as exc:  # classified kernel failures only; anything else is ours
            fields = failure_fields(exc)
            if fields is None:
                raise
            fields.pop("violation")
            return {**fields, "cases": outcomes, "failed_case": case.dataset}
        if outcomes[-1].get("verdict", "ok") != "ok":
            failed = outcomes[-1]
            return {"verdict": failed["verdict"], "detail": failed["detail"], "cases": outcomes,
                    "failed_case": case.dataset}
    return {"verdict": "ok", "cases": outcomes}


def _benchmarks(harness: Harness, device: Any, cases: list[Case], settings: dict[str, Any], channel: TextIO) -> dict[str, Any]:
    """Benchmark every case; the result says where it was measured."""
    result = _each(harness, device, cases, lambda case: harness.benchmark(case, settings), channel)
    return {**result, "environment": device.describe()}


def _run(request: dict[str, Any], channel: TextIO) -> None:
    """validate, benchmark, or evaluate (validate; benchmark what validated) in this one process."""
    cases = _load_cases(request["cases"])
    bench_cases = _load_cases(request.get("bench_cases", []))
    device = _make_device(request["device"])
    try:
        library = _library(request, device)
    except AttributeError as exc:
        _emit(channel, result={"verdict": "abi_error", "detail": f"library lacks a kernel ABI symbol: {exc}"})
        return
    harness = Harness(device, library, lambda phase: _emit(channel, progress=phase))
    settings = request.get("bench", {})
    if request["op"] == "benchmark":
        _emit(channel, result=_benchmarks(harness, device, cases, settings, channel))
        return
    checked = _each(harness, device, cases, harness.validate, channel)
    if request["op"] == "validate" or checked["verdict"] != "ok" or not bench_cases:
        _emit(channel, result=checked)
        return
    _emit(channel, validation=checked)  # kept by the parent even if the benchmark then crashes
    _emit(channel, result=_benchmarks(harness, device, bench_cases, settings, channel))


def main() -> int:
    """Run one request; exit 0 when a result line was written."""
    channel = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # the kernel's printf goes to stderr, never into the result channel
    request = json.loads(sys.stdin.read())
    try:
        _run(request, channel)
    except Exception:
        _emit(channel, internal_error=traceback.format_exc())
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
