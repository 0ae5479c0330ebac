"""In-process diagnosis: compress and decompress in ONE process, with a ladder that names cheats.

Runs only in a diagnosis child, after the trusted parent (harness/evaluation.py) has already found a
failure; its verdict can refine that failure's message (e.g. "decompression reads the original
input buffer"), never turn it into a pass. The compressed bytes are copied (exactly out_bytes) into
a fresh buffer, the input and the compressor's output buffer are poisoned, decompression writes
into a poisoned buffer; when the result is wrong, what a cheat would rely on is restored in turn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from szagents.backends.child import checks
from szagents.backends.child.arena import Arena
from szagents.backends.child.device import Device, HostDevice, KernelLibrary

__all__ = ["Case", "Harness", "HostArrays", "failure_fields"]


class HostArrays(HostDevice):
    """The host device with numpy arrays for buffers: what the diagnosis ladder's array checks need."""

    xp = np

    def view(self, arena: Arena, name: str) -> np.ndarray:
        return arena.view(name)

    def to_device(self, host: np.ndarray) -> np.ndarray:
        return np.array(host, copy=True, order="C")

    def to_host(self, array: np.ndarray) -> np.ndarray:
        return array

    def alloc(self, nbytes: int) -> np.ndarray:  # type: ignore[override]
        return np.empty(nbytes, dtype=np.uint8)

    def copy_in(self, dst: np.ndarray, src: np.ndarray) -> None:  # type: ignore[override]
        np.copyto(dst, src)

    def copy_out(self, dst: np.ndarray, src: np.ndarray) -> None:  # type: ignore[override]
        np.copyto(dst, src)

    def pointer(self, array: np.ndarray) -> int:  # type: ignore[override]
        return int(array.ctypes.data)

_STATUS = {1: "SZ_ERR_ARGUMENT", 2: "SZ_ERR_CAPACITY", 3: "SZ_ERR_RANGE", 4: "SZ_ERR_FORMAT", 5: "SZ_ERR_DEVICE"}


@dataclass(frozen=True)
class Case:
    """One dataset at one absolute error bound, with the output capacity the kernel gets."""

    dataset: str
    data: np.ndarray
    eb: float
    capacity: int
    expected_stream: bytes | None = None  # reference-format bytes, when the task asks for them


@dataclass
class _Round:
    """Buffers and sizes of one validation round, kept for the diagnosis of a failure."""

    data: np.ndarray  # host copy: size, dtype, bytes
    original: Any  # the same values on the device, uploaded once per round, never handed to kernels
    inp: Any
    out: Any
    eb: float
    previous: Any = None  # device values of the previous round's input (for the cached-output check)
    nbytes: int = 0
    full: Any = None  # the compressor's whole output buffer (capacity bytes) right after compress
    stream: Any = None  # the exact-size copy (plus poison) that decompression reads


class _Failure(Exception):
    """A classified failure of one case; caught by Harness.validate."""

    def __init__(self, verdict: str, detail: str, violation: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.verdict, self.detail, self.violation = verdict, detail, violation


def _status_name(code: int) -> str:
    return f"{code} ({_STATUS[code]})" if code in _STATUS else str(code)


class Harness:
    """The validation-with-diagnosis procedure over a Device and a KernelLibrary."""

    def __init__(self, device: Device, library: KernelLibrary, progress: Callable[[str], None]) -> None:
        self.dev, self.lib, self._report = device, library, progress
        self.xp = device.xp
        self.phase = "setup"

    def progress(self, phase: str) -> None:
        """Record and report the phase, so a crash or hang can be located."""
        self.phase = phase
        self._report(phase)

    # ----- buffers -------------------------------------------------------------------------
    def _bytes(self, size: int, fill: int) -> Any:
        return self.xp.full(size, fill, dtype=np.uint8)

    def _ptr(self, array: Any) -> int:
        return self.dev.pointer(array)

    # ----- kernel calls --------------------------------------------------------------------
    def _compress(self, inp: Any, n: int, eb: float, out: Any, capacity: int) -> int:
        self.progress("compress")
        status = self.lib.compress(self._ptr(inp), n, eb, self._ptr(out), capacity, self.dev.stream())
        self.dev.synchronize()
        if status != 0:
            raise _Failure("error_status", f"sz_compress returned {_status_name(status)} on valid input")
        self._require_settled(out, "sz_compress")
        return self.lib.out_bytes

    def _require_settled(self, buffer: Any, name: str) -> None:
        if not self.dev.settled(buffer):
            raise _Failure(
                "cheat_detected",
                f"{name} returned while work hidden on another stream was still writing its output; "
                "order all work on the stream the ABI passes",
            )

    def _decompress(self, stream: Any, nbytes: int, n: int, eb: float, dtype: np.dtype) -> Any:
        self.progress("decompress")
        out = checks.poisoned(self.xp, n + checks.GUARD_ELEMENTS, dtype)
        status = self.lib.decompress(self._ptr(stream), nbytes, n, eb, self._ptr(out), self.dev.stream())
        self.dev.synchronize()
        if status != 0:
            raise _Failure("error_status", f"sz_decompress returned {_status_name(status)} on the stream sz_compress wrote")
        self._require_settled(out, "sz_decompress")
        guard = out[n:].view(np.uint32 if dtype == np.float32 else np.uint64)
        if bool((guard != checks.poison_value(dtype)).any()):
            raise _Failure("size_error", f"sz_decompress wrote past the n={n} output elements")
        return out[:n]

    # ----- validation ----------------------------------------------------------------------
    def validate(self, case: Case) -> dict[str, Any]:
        """Validate one case (a fresh round, then a changed-input round in the same buffers)."""
        eb = float(np.float32(case.eb))
        data = case.data
        result: dict[str, Any] = {"dataset": case.dataset, "n": int(data.size), "dtype": data.dtype.name, "eb": eb}
        original = self.dev.to_device(data)
        inp = original.copy()
        out = self._bytes(case.capacity + checks.GUARD_BYTES, checks.BYTE_POISON)
        try:
            stats = self._round(case, _Round(data, original, inp, out, eb))
            reversed_data = np.ascontiguousarray(data[::-1])
            if not np.array_equal(reversed_data.view(np.uint8), data.view(np.uint8)):
                changed = self.dev.to_device(reversed_data)
                self.xp.copyto(inp, changed)
                out[:] = checks.BYTE_POISON
                self._round(case, _Round(reversed_data, changed, inp, out, eb, previous=original))
        except _Failure as failure:
            result.update(verdict=failure.verdict, detail=failure.detail, violation=failure.violation)
            return result
        result.update(verdict="ok", **stats)
        return result

    def _round(self, case: Case, r: _Round) -> dict[str, Any]:
        """Compress, copy exactly out_bytes, poison, decompress, check; diagnose a failure."""
        n, cap = int(r.data.size), case.capacity
        r.nbytes = self._compress(r.inp, n, r.eb, r.out, cap)
        self._check_compressed(r, cap)
        r.full = r.out[:cap].copy()
        r.stream = self._bytes(r.nbytes + checks.GUARD_BYTES, checks.BYTE_POISON)
        r.stream[: r.nbytes] = r.out[: r.nbytes]
        if r.previous is None and case.expected_stream is not None:
            self._check_format(self.dev.to_host(r.stream[: r.nbytes]), case.expected_stream)
        r.inp[:] = checks.poisoned(self.xp, n, r.data.dtype)
        r.out[:] = checks.STALE_POISON
        decoded = self._decompress(r.stream, r.nbytes, n, r.eb, r.data.dtype)
        report = checks.bound_report(self.xp, r.original, decoded, r.eb)
        unwritten, first = checks.unwritten_count(self.xp, decoded, r.original)
        if report["violations"] or unwritten:
            self._diagnose(r)
            self._classify(r, report, unwritten, first)
        return {
            "compressed_bytes": r.nbytes,
            "ratio": r.data.nbytes / r.nbytes,
            "max_abs_error": report["max_abs_error"],
            "max_error_over_eb": report["max_error_over_eb"],
        }

    def _check_compressed(self, r: _Round, cap: int) -> None:
        if r.nbytes == 0 or r.nbytes > cap:
            raise _Failure("size_error", f"sz_compress reported out_bytes={r.nbytes}, outside 1..out_capacity={cap}")
        if bool((r.out[cap:] != checks.BYTE_POISON).any()):
            raise _Failure("size_error", f"sz_compress wrote past out_capacity={cap}")
        if not bool((r.inp.view(np.uint8) == r.original.view(np.uint8)).all()):
            raise _Failure("cheat_detected", "sz_compress modified its const input buffer")

    def _check_format(self, stream: np.ndarray, expected: bytes) -> None:
        got = np.asarray(stream).tobytes()
        if got != expected:
            limit = min(len(got), len(expected))
            diff = next((i for i in range(limit) if got[i] != expected[i]), limit)
            raise _Failure(
                "wrong_output",
                f"stream differs from the reference format at byte {diff} "
                f"(length {len(got)}, reference {len(expected)})",
            )

    def _passes(self, r: _Round, source: Any) -> bool:
        """Does decompressing source (declared as r.nbytes long) now give a correct, complete output?"""
        decoded = self._decompress(source, r.nbytes, int(r.data.size), r.eb, r.data.dtype)
        if checks.bound_report(self.xp, r.original, decoded, r.eb)["violations"]:
            return False
        return checks.unwritten_count(self.xp, decoded, r.original)[0] == 0

    def _diagnose(self, r: _Round) -> None:
        """Re-run decompression with what a cheat would rely on restored, to name the cause."""
        xp = self.xp
        xp.copyto(r.inp, r.original)
        if self._passes(r, r.stream):
            raise _Failure("cheat_detected", "decompression reads the original input buffer instead of the stream")
        r.inp[:] = checks.poisoned(xp, int(r.data.size), r.data.dtype)
        xp.copyto(r.out[: r.full.size], r.full)
        if self._passes(r, r.stream):
            raise _Failure("cheat_detected", "decompression reads the compressor's output buffer instead of its input")
        r.out[:] = checks.STALE_POISON
        whole = self._bytes(r.full.size + checks.GUARD_BYTES, checks.BYTE_POISON)
        whole[: r.full.size] = r.full
        if r.full.size > r.nbytes and self._passes(r, whole):
            raise _Failure("size_error", f"out_bytes={r.nbytes} under-reports the stream: decoding needs bytes past it")
        if r.previous is not None:
            decoded = self._decompress(r.stream, r.nbytes, int(r.data.size), r.eb, r.data.dtype)
            if checks.bound_report(xp, r.previous, decoded, r.eb)["violations"] == 0:
                raise _Failure("cheat_detected", "output belongs to an earlier input: results are cached, not computed")

    def _classify(self, r: _Round, report: dict[str, Any], unwritten: int, first: int) -> None:
        """No cheat explains the failure: report unwritten outputs, else the first bound violation."""
        n = int(r.data.size)
        if unwritten:
            raise _Failure("unwritten_output", f"{unwritten} of {n} output elements were never written (first at index {first})")
        v = report["first"]
        raise _Failure(
            "bound_violation",
            f"{v['count']} of {n} values exceed eb={r.eb:g}; first at index {v['index']}: "
            f"x={v['value']!r}, x'={v['reconstructed']!r}, |x-x'|/eb={v['error_over_eb']:.4g}",
            violation=v,
        )


def failure_fields(exc: BaseException) -> dict[str, Any] | None:
    """verdict/detail of a classified harness failure, or None for other exceptions."""
    if isinstance(exc, _Failure):
        return {"verdict": exc.verdict, "detail": exc.detail, "violation": exc.violation}
    return None

