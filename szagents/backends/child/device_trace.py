"""Every kernel, copy and memset on the GPU, on any stream and from any host thread: CUPTI activity records.

Used inside the cuda runner child (imported before the privilege drop and before the kernel library
is loaded). The harness opens a window around each benchmark call (`go` to `done`, which ends with a
device-wide synchronize) and around each warm-up call; after a case's repetitions it reads the records
and reports, per repetition, the span of the device work that ran in its window (the claim the parent
times with) and every piece of work that ran outside all windows (off the clock: work launched before a
call, by another host thread between calls, or left running past one). The harness's own work runs on
its checks stream, found by a marker memset of a size no kernel is given a reason to use.

A repetition's span runs from when the call could start on the device to when its last work ended, the way
CUDA events around a call time it: two more marker memsets on the ABI stream bracket the call, one queued
behind the cache flush before the call (START_BYTES: the call's start is where it ends) and one after the call
returned (END_BYTES: the call's end is at least where it starts). So a call that waits for the device and
returns later (a compressor reading its size back) pays the time until it returned, as kernel-against-kernel
events charge it, and work hidden on any stream still counts from its own start to its own end. A kernel can
only lengthen its span with memsets of these sizes: the earliest start marker and the latest end marker count.

Where CUPTI cannot be had (no `cupti-python`, or CUPTI refuses), `DeviceTrace.start` returns None and
the result says timing covered the ABI stream only. Like every child figure, a trace is a claim: the
trusted parent still bounds the reported time by its own clock.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DeviceTrace", "MARKER_BYTES", "START_BYTES", "END_BYTES", "EDGE_NS", "summarize"]

MARKER_BYTES = 4093  # the checks stream's marker memset: a prime byte count
START_BYTES, END_BYTES = 4091, 4079  # the ABI stream's markers before and after each timed call (primes too)
EDGE_NS = 20_000  # CUPTI normalizes device timestamps to the host's: allow 20 us of skew at a window's edges
_EXAMPLES = 8


@dataclass
class _Records:
    """(kind, stream id, context id, start ns, end ns, bytes) of every record CUPTI delivered."""

    kinds: Any  # cupti.ActivityKind: records carry their kind as a plain number
    rows: list[tuple[str, int, int, int, int, int]] = field(default_factory=list)

    def take(self, activities: list[Any]) -> None:
        for a in activities:
            start, end = getattr(a, "start", None), getattr(a, "end", None)
            if start is None or end is None:
                continue
            try:
                kind = self.kinds(a.kind).name.lower()
            except (ValueError, TypeError):
                kind = str(a.kind)
            self.rows.append((kind, int(getattr(a, "stream_id", -1)), int(getattr(a, "context_id", -1)),
                              int(start), int(end), int(getattr(a, "bytes", 0) or 0)))


class DeviceTrace:
    """CUPTI activity tracing of kernels, copies and memsets in every context of this process."""

    def __init__(self, cupti: Any) -> None:
        self._cupti = cupti
        self._records = _Records(cupti.ActivityKind)
        self._windows: list[tuple[int, int, int | None]] = []  # (open ns, close ns, repetition or None)
        self._opened: int | None = None
        self._since = 0

    @classmethod
    def start(cls) -> tuple[DeviceTrace | None, str]:
        """(a running trace, "") or (None, why not)."""
        try:
            from cupti import cupti
        except Exception as exc:  # noqa: BLE001 - not installed, or its CUDA libraries are missing
            return None, f"cupti-python is not importable ({type(exc).__name__}: {exc})"
        trace = cls(cupti)
        try:
            for kind in ("CONCURRENT_KERNEL", "MEMCPY", "MEMCPY2", "MEMSET"):
                cupti.activity_enable(getattr(cupti.ActivityKind, kind))
            cupti.activity_register_callbacks(lambda: (8 << 20, 0), trace._records.take)
        except Exception as exc:  # noqa: BLE001 - CUPTI refused (another profiler attached, an old driver)
            return None, f"CUPTI refused activity tracing ({type(exc).__name__}: {exc})"
        return trace, ""

    def now(self) -> int:
        return int(self._cupti.get_timestamp())

    def begin_case(self) -> None:
        """Forget the windows of earlier cases; records before now are not this case's."""
        self._windows.clear()
        self._since = self.now()

    def open(self) -> None:
        self._opened = self.now()

    def close(self, repetition: int | None) -> None:
        if self._opened is not None:
            self._windows.append((self._opened, self.now(), repetition))
        self._opened = None

    def report(self, repetitions: int) -> dict[str, Any]:
        """Per-repetition spans and the work outside every window, from the records delivered so far."""
        self._cupti.activity_flush_all(1)
        rows = [r for r in self._records.rows if r[4] > self._since]
        harness = {(r[2], r[1]) for r in self._records.rows if r[0] == "memset" and r[5] == MARKER_BYTES}
        kernel_rows = [r for r in rows if (r[2], r[1]) not in harness]
        return summarize(kernel_rows, self._windows, repetitions) | {"source": "cupti", "records": len(rows)}


def _home(windows: list[tuple[int, int, int | None]], at: int, start: int, end: int) -> tuple | None:
    """The window work lies in: the last one opened before it started (at), if it started and ended by that
    window's close give or take the skew, else the next one, if it started at most the skew before that one
    opened. Windows are often microseconds apart (a batch's calls back to back): the work at the end of one
    call is that call's, never the next one's, however close the next window opens."""
    if at >= 0 and end <= windows[at][1] + EDGE_NS:  # it started by then too
        return windows[at]
    following = windows[at + 1] if at + 1 < len(windows) else None
    if following is not None and start >= following[0] - EDGE_NS and end <= following[1] + EDGE_NS:
        return following
    return None


def summarize(rows: list[tuple[str, int, int, int, int, int]], windows: list[tuple[int, int, int | None]],
              repetitions: int) -> dict[str, Any]:
    """spans: seconds from the first start to the last end of the work inside each repetition's window, the start
    at the latest where its start marker ended and the end at the earliest where its end marker started;
    outside: the work that lies in no window (count, device seconds, a few examples)."""
    first: list[int | None] = [None] * repetitions
    last: list[int | None] = [None] * repetitions
    outside, outside_ns, examples = 0, 0, []
    windows = sorted(windows)
    opens = [w[0] for w in windows]
    for kind, stream, context, start, end, nbytes in sorted(rows, key=lambda r: r[3]):
        at = bisect.bisect_right(opens, start) - 1
        home = _home(windows, at, start, end)
        if home is None:
            outside += 1
            outside_ns += end - start
            if len(examples) < _EXAMPLES:
                near = windows[at] if at >= 0 else None  # the last window opened before this work started
                examples.append({"kind": kind, "stream": stream, "context": context, "bytes": nbytes,
                                 "duration_s": (end - start) / 1e9,
                                 "after_window_s": None if near is None else (start - near[1]) / 1e9,
                                 "repetition": None if near is None else near[2]})
            continue
        r = home[2]
        if r is not None and 0 <= r < repetitions:
            marker = kind == "memset" and nbytes in (START_BYTES, END_BYTES)
            since = end if marker and nbytes == START_BYTES else start  # a call starts where its start marker ends
            until = start if marker and nbytes == END_BYTES else end  # and ends no earlier than its end marker starts
            first[r] = since if first[r] is None else min(first[r], since)
            last[r] = until if last[r] is None else max(last[r], until)
    spans = [(max(b - a, 0) / 1e9 if a is not None and b is not None else 0.0) for a, b in zip(first, last)]
    return {"spans": spans, "outside": {"count": outside, "seconds": outside_ns / 1e9, "examples": examples}}
