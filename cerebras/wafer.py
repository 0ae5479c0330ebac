"""The PE rectangle as the szagents host harness sees it (staged beside run.py; see run.py).

Device wraps SdkRuntime with the conventional symbols and row-major (py, px, element) arrays;
Case cuts a dataset into chunks (chunk k runs on PE k % P in round k // P, P = width*height);
compress_all and decompress_all move every round through the device under the harness's rules:
exact-size streams, poisoned input and output buffers, per-PE status words, summed cycles.
"""

import json
import math

import numpy as np

import sz_checks as checks  # szagents/backends/child/checks.py, staged beside this file

U32 = np.uint32


class DeviceError(Exception):
    """The SDK runtime raised: a bad symbol, transfer or launch of the program under test."""


class Failure(Exception):
    """A classified failure of one case."""

    def __init__(self, verdict, detail, violation=None):
        super().__init__(detail)
        self.verdict, self.detail, self.violation = verdict, detail, violation


def progress(phase):
    """Report the phase on stdout (the parent names it when the run stalls)."""
    print(json.dumps({"progress": phase}), flush=True)


class Device:
    """The PE rectangle behind SdkRuntime, with row-major (py, px, element) host arrays."""

    ARRAYS = ("values", "decoded", "stream", "info")

    def __init__(self, name, cmaddr, width, height):
        from cerebras.sdk.runtime.sdkruntimepybind import MemcpyDataType, MemcpyOrder, SdkRuntime  # noqa: PLC0415

        self.kinds, self.order, self.w, self.h = MemcpyDataType, MemcpyOrder, width, height
        self.rt = self._sdk("SdkRuntime", lambda: SdkRuntime(name, cmaddr=cmaddr))
        self.ids = {s: self._sdk(f"get_id({s!r})", lambda s=s: self.rt.get_id(s)) for s in self.ARRAYS}
        try:  # no timestamps is a zero_exec_time failure, reported after the values are checked
            self.ids["tsc"] = self.rt.get_id("tsc")
        except Exception:  # noqa: BLE001 - the SDK's own exception types are not documented
            self.ids["tsc"] = None
        self._sdk("load", self.rt.load)
        self._sdk("run", self.rt.run)

    @staticmethod
    def _sdk(what, call):
        try:
            return call()
        except Exception as exc:  # noqa: BLE001
            raise DeviceError(f"{what} failed: {type(exc).__name__}: {exc}") from exc

    def put(self, symbol, words, bits=32):
        """Copy (h, w, k) u32 words to symbol on every PE (16-bit: the low half of each word)."""
        words = np.ascontiguousarray(words, dtype=U32)
        kind = self.kinds.MEMCPY_16BIT if bits == 16 else self.kinds.MEMCPY_32BIT
        self._sdk(f"memcpy_h2d({symbol!r})", lambda: self.rt.memcpy_h2d(
            self.ids[symbol], words.ravel(), 0, 0, self.w, self.h, words.shape[2], streaming=False,
            data_type=kind, order=self.order.ROW_MAJOR, nonblock=False))

    def get(self, symbol, per_pe, bits=32):
        """(w*h, per_pe) u32 words of symbol from every PE (16-bit values zero-extended)."""
        out = np.zeros(self.w * self.h * per_pe, U32)
        kind = self.kinds.MEMCPY_16BIT if bits == 16 else self.kinds.MEMCPY_32BIT
        self._sdk(f"memcpy_d2h({symbol!r})", lambda: self.rt.memcpy_d2h(
            out, self.ids[symbol], 0, 0, self.w, self.h, per_pe, streaming=False, data_type=kind,
            order=self.order.ROW_MAJOR, nonblock=False))
        return out.reshape(self.w * self.h, per_pe)

    def clear_timestamps(self):
        """Zero tsc on every PE, so a launch that records no timestamps reads as zero time."""
        if self.ids["tsc"] is not None:
            self.put("tsc", np.zeros((self.h, self.w, 6), U32), bits=16)

    def launch(self, function):
        """Clear the timestamps, run an exported function on every PE and wait for it."""
        self.clear_timestamps()
        self._sdk(f"launch({function!r})", lambda: self.rt.launch(function, nonblock=False))

    def cycles(self, active):
        """Slowest active PE's end - start timestamp of the last launch; None without timestamps."""
        if self.ids["tsc"] is None:
            return None
        t = self.get("tsc", 6, bits=16).astype(np.int64) & 0xFFFF
        start = t[:, 0] | (t[:, 1] << 16) | (t[:, 2] << 32)
        end = t[:, 3] | (t[:, 4] << 16) | (t[:, 5] << 32)
        elapsed = (end - start)[active]
        return -1 if (elapsed < 0).any() else int(elapsed.max(initial=0))

    def stop(self):
        """End the session (the simulator writes its logs)."""
        self._sdk("stop", self.rt.stop)


class Case:
    """One dataset at one error bound, cut into chunks: chunk k runs on PE k % P in round k // P."""

    def __init__(self, spec, req, folder):
        self.name, self.eb = spec["dataset"], float(np.float32(spec["eb"]))
        self.data = np.ascontiguousarray(np.load(folder / spec["path"]).ravel().astype(np.float32))
        self.w, self.h, self.chunk, self.cap = req["width"], req["height"], req["chunk"], req["cap_words"]
        self.pes = self.w * self.h
        self.rounds = max(1, math.ceil(self.data.size / (self.pes * self.chunk)))
        self.expected = np.load(folder / spec["expected"]) if spec.get("expected") else None
        self.eb_bits = int(np.float32(self.eb).view(U32))

    def counts(self, r):
        """Values per PE in round r (0 on idle PEs) and each PE's first index into data."""
        starts = (r * self.pes + np.arange(self.pes)) * self.chunk
        return np.clip(self.data.size - starts, 0, self.chunk), starts

    def block(self, r, counts, starts):
        """(P, chunk) f32: round r's values, zero-padded."""
        block = np.zeros((self.pes, self.chunk), np.float32)
        for p in np.flatnonzero(counts):
            block[p, :counts[p]] = self.data[starts[p]:starts[p] + counts[p]]
        return block

    def info(self, counts, nbytes):
        """(h, w, 4) info words: n, eb bits, byte count, status 0."""
        words = np.zeros((self.pes, 4), U32)
        words[:, 0], words[:, 1], words[:, 2] = counts, self.eb_bits, nbytes
        return words.reshape(self.h, self.w, 4)

    def where(self, p, r):
        """'PE (x,y) in round i/m' for messages."""
        return f"PE ({p % self.w},{p // self.w}) in round {r + 1}/{self.rounds}"


def _status(case, info, counts, r, op):
    """Raise error_status for the first active PE whose info[3] is not 0."""
    bad = np.flatnonzero((counts > 0) & (info[:, 3] != 0))
    if bad.size:
        p = int(bad[0])
        raise Failure("error_status", f"{op} on {case.where(p, r)} reported status {int(info[p, 3])} (info[3]); "
                      f"{bad.size} PE(s) failed")


def compress_all(dev, case):
    """(exact streams, whole stream buffers) per chunk, and the summed cycles (None: no timestamps)."""
    streams, buffers, total = [], [], 0
    for r in range(case.rounds):
        progress(f"{case.name}: compress round {r + 1}/{case.rounds}")
        counts, starts = case.counts(r)
        dev.put("values", case.block(r, counts, starts).view(U32).reshape(case.h, case.w, case.chunk))
        dev.put("info", case.info(counts, 0))
        dev.launch("compress")
        info, words = dev.get("info", 4), dev.get("stream", case.cap)
        total = add_cycles(total, dev.cycles(counts > 0))
        _status(case, info, counts, r, "compress")
        for p in np.flatnonzero(counts):
            nbytes = int(info[p, 2])
            if not 0 < nbytes <= 4 * case.cap:
                raise Failure("size_error", f"compress on {case.where(p, r)} reported {nbytes} stream bytes in "
                              f"info[2], outside 1..{4 * case.cap} (4*cap_words)")
            streams.append(words[p].tobytes()[:nbytes])
            buffers.append(words[p].tobytes())
    return streams, buffers, total


def decompress_all(dev, case, streams, sizes=None, restore_input=False):
    """The n decoded values (poison where no PE wrote) and the summed cycles.

    Each PE gets its stream (the rest of its buffer poisoned) and the byte count sizes[k] (default:
    the stream's length); `values` holds poison unless restore_input puts the original back.
    """
    out, total = checks.poisoned(np, case.data.size, np.dtype(np.float32)), 0
    poison = checks.poisoned(np, case.pes * case.chunk, np.dtype(np.float32)).view(U32)
    for r in range(case.rounds):
        progress(f"{case.name}: decompress round {r + 1}/{case.rounds}")
        counts, starts = case.counts(r)
        raw = np.full((case.pes, 4 * case.cap), checks.STALE_POISON, np.uint8)
        nbytes = np.zeros(case.pes, U32)
        for p in np.flatnonzero(counts):
            k = r * case.pes + p
            raw[p, :len(streams[k])] = np.frombuffer(streams[k], np.uint8)
            nbytes[p] = len(streams[k]) if sizes is None else sizes[k]
        inputs = case.block(r, counts, starts).view(U32) if restore_input else poison
        dev.put("values", inputs.reshape(case.h, case.w, case.chunk))
        dev.put("decoded", poison.reshape(case.h, case.w, case.chunk))
        dev.put("stream", raw.view(U32).reshape(case.h, case.w, case.cap))
        dev.put("info", case.info(counts, nbytes))
        dev.launch("decompress")
        info, decoded = dev.get("info", 4), dev.get("decoded", case.chunk).view(np.float32)
        total = add_cycles(total, dev.cycles(counts > 0))
        _status(case, info, counts, r, "decompress")
        for p in np.flatnonzero(counts):
            out[starts[p]:starts[p] + counts[p]] = decoded[p, :counts[p]]
    return out, total


def add_cycles(total, cycles):
    """Sum of per-launch cycles; None once one is missing, -1 once one is invalid."""
    return None if total is None or cycles is None else (-1 if min(total, cycles) < 0 else total + cycles)
