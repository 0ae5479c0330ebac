"""Joules per GB of the timed repetitions on a GPU, from NVML's total-energy counter read by the trusted parent.

What the figure is. NVML's `nvmlDeviceGetTotalEnergyConsumption` counts the board's energy in
millijoules since the driver loaded and advances in steps, once per update period (measured here
by polling, never assumed). Around the timed repetitions of each case and direction the parent:

1. just before the first `go`, waits for IDLE_UPDATES updates of the counter while the GPU is idle
   (the child has staged every input and waits): their energy over their time is the idle power,
   the median step is the update period, and the last step's instant opens the window;
2. after the last `done`, waits for the next update: its instant closes the window.

Both ends sit on counter updates, so no partial period is lost or counted twice. The window holds
the timed repetitions (the parent's go -> done, which include the child's cache flush and device
synchronization) and the harness's gaps between them; the idle power times the gaps is subtracted,
so the figure is the board's energy (static power included) while the timed calls ran, divided by
the bytes they compressed or decompressed: (E_window - P_idle * gaps) / (input bytes * repetitions).
The note says how long the window was, its busy fraction and the idle power subtracted.

No number is given where NVML or its energy counter is missing, where the counter stops
updating, or where the window spans fewer than MIN_UPDATES updates (a figure resting on a few
steps of a counter is not one): the note says which.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["EnergyCounter", "EnergyMeter", "EnergyUnavailable", "nvml_counter", "MIN_UPDATES", "IDLE_UPDATES"]

MIN_UPDATES = 10  # counter updates a window must span for a figure
IDLE_UPDATES = 3  # updates watched before a window: the idle power and the update period
POLL_SECONDS = 0.0002
PATIENCE_SECONDS = 2.0  # a counter that does not change for this long is not updating


class EnergyCounter(Protocol):
    """A board's total energy since some origin, in millijoules: monotonic, advancing once per update."""

    def millijoules(self) -> int: ...


class EnergyUnavailable(Exception):
    """No energy figure can be had here; the message says why and how to get one."""


def nvml_counter(env: Mapping[str, str] | None = None) -> EnergyCounter:
    """NVML's counter of the GPU the harness child uses (its first visible device)."""
    try:
        import pynvml
    except ImportError:
        raise EnergyUnavailable("the nvidia-ml-py package (import pynvml) is not installed: "
                                "pip install 'szagents[cuda]' (or 'szagents[cuda12]')") from None
    try:
        pynvml.nvmlInit()
        handle = _handle(pynvml, {**os.environ, **(env or {})})
        counter = _Nvml(pynvml, handle)
        counter.millijoules()
    except pynvml.NVMLError_NotSupported:
        raise EnergyUnavailable("this GPU has no NVML total-energy counter (Volta or newer; not on MIG "
                                "instances)") from None
    except pynvml.NVMLError as exc:
        raise EnergyUnavailable(f"NVML could not be read ({exc})") from None
    return counter


def _handle(pynvml: Any, env: Mapping[str, str]) -> Any:
    first = env.get("CUDA_VISIBLE_DEVICES", "").split(",")[0].strip()
    if first.startswith(("GPU-", "MIG-")):
        return pynvml.nvmlDeviceGetHandleByUUID(first)
    if pynvml.nvmlDeviceGetCount() > 1 and env.get("CUDA_DEVICE_ORDER") != "PCI_BUS_ID":
        raise EnergyUnavailable("which of this machine's GPUs the kernel ran on is ambiguous (CUDA numbers them "
                                "fastest first, NVML by PCI bus): set CUDA_DEVICE_ORDER=PCI_BUS_ID or "
                                "CUDA_VISIBLE_DEVICES=GPU-<uuid>")
    return pynvml.nvmlDeviceGetHandleByIndex(int(first) if first.isdigit() else 0)


@dataclass(frozen=True)
class _Nvml:
    pynvml: Any
    handle: Any

    def millijoules(self) -> int:
        return int(self.pynvml.nvmlDeviceGetTotalEnergyConsumption(self.handle))


@dataclass(frozen=True)
class _Window:
    start_mj: int
    start_s: float
    idle_watts: float
    period_s: float
    end_mj: int | None = None
    end_s: float | None = None


class EnergyMeter:
    """The windows of one benchmark run, keyed by (direction, case); the clock and sleep are injectable."""

    def __init__(self, counter: EnergyCounter | None, missing: str = "", now: Callable[[], float] = time.perf_counter,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.counter, self.missing, self.now, self.sleep = counter, missing, now, sleep
        self.windows: dict[Any, _Window | str] = {}  # a window, or why there is none

    @classmethod
    def for_gpu(cls, env: Mapping[str, str] | None = None) -> EnergyMeter:
        try:
            return cls(nvml_counter(env))
        except EnergyUnavailable as exc:
            return cls(None, str(exc))

    def _edge(self, value: int) -> tuple[int, float]:
        """The counter's next update after value: (new value, when it was seen)."""
        deadline = self.now() + PATIENCE_SECONDS
        while (read := self.counter.millijoules()) == value:  # type: ignore[union-attr]
            if self.now() > deadline:
                raise EnergyUnavailable(f"NVML's energy counter did not change for {PATIENCE_SECONDS:g} s")
            self.sleep(POLL_SECONDS)
        if read < value:
            raise EnergyUnavailable("NVML's energy counter went backwards (reset or wrapped)")
        return read, self.now()

    def start(self, key: Any) -> None:
        """Just before the first `go`: the idle power and update period, and the window's first edge."""
        if self.counter is None:
            self.windows[key] = self.missing
            return
        try:
            edges = [self._edge(self.counter.millijoules())]
            for _ in range(IDLE_UPDATES):
                edges.append(self._edge(edges[-1][0]))
        except EnergyUnavailable as exc:
            self.windows[key] = str(exc)
            return
        steps = sorted(b[1] - a[1] for a, b in zip(edges, edges[1:]))
        watts = (edges[-1][0] - edges[0][0]) / 1e3 / (edges[-1][1] - edges[0][1])
        self.windows[key] = _Window(edges[-1][0], edges[-1][1], watts, steps[len(steps) // 2])

    def stop(self, key: Any) -> None:
        """After the last `done`: the window's last edge (the counter's next update)."""
        window = self.windows.get(key)
        if not isinstance(window, _Window):
            return
        try:
            end_mj, end_s = self._edge(self.counter.millijoules())  # type: ignore[union-attr]
        except EnergyUnavailable as exc:
            self.windows[key] = str(exc)
            return
        self.windows[key] = _Window(window.start_mj, window.start_s, window.idle_watts, window.period_s, end_mj, end_s)

    def joules_per_gb(self, key: Any, busy_seconds: float, nbytes: int) -> tuple[float | None, str]:
        """(J per GB of the timed calls, or None; the note) for a window whose timed calls took busy_seconds."""
        window = self.windows.get(key, "no energy window was opened")
        if isinstance(window, str):
            return None, window
        if window.end_mj is None or window.end_s is None:
            return None, "the timed repetitions did not finish"
        seconds = window.end_s - window.start_s
        updates = seconds / window.period_s
        timing = (f"window {seconds * 1e3:.1f} ms, {min(busy_seconds / seconds, 1.0):.0%} in timed calls; "
                  f"the counter updates every {window.period_s * 1e3:.1f} ms")
        if updates < MIN_UPDATES:
            return None, (f"too short for NVML's energy counter: {timing}, {updates:.1f} updates "
                          f"(fewer than {MIN_UPDATES})")
        joules = (window.end_mj - window.start_mj) / 1e3 - window.idle_watts * max(seconds - busy_seconds, 0.0)
        if joules <= 0 or nbytes <= 0:
            return None, f"no energy above idle ({window.idle_watts:.0f} W) measured: {timing}"
        return joules / (nbytes / 1e9), f"{timing}; idle {window.idle_watts:.0f} W subtracted over the gaps"

    def case_fields(self, case: int, compress_walls: list[float], decompress_walls: list[float],
                    nbytes: int) -> dict[str, Any]:
        """BenchmarkCase's energy fields for a case whose calls took these go -> done walls, nbytes of input each."""
        (c, c_note), (d, d_note) = (self.joules_per_gb((name, case), sum(walls), nbytes * len(walls))
                                    for name, walls in (("compress", compress_walls), ("decompress", decompress_walls)))
        note = c_note if c_note == d_note else f"compress: {c_note}; decompress: {d_note}"
        return {"compress_joules_per_gb": c, "decompress_joules_per_gb": d, "energy_note": note}
