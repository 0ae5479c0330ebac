"""One device, many candidates: a benchmark never shares the machine with another candidate's work.

`DeviceGate` is a readers-writer lock per search: compiles and validations hold it shared (they may
overlap each other), a benchmark or profile holds it exclusively (it waits for the shared holders to
finish and keeps new ones out). `GatedBackend` wraps the run's backend so that every caller (the
agents' tools and the validator alike) goes through the gate. Across processes (a study's other runs)
the harness's benchmark slot ($SZAGENTS_BENCH_SLOTS, tasks.slots) still serialises benchmarks; the
search turns it on (tasks.slots.bench_slots_env) while candidates run concurrently.

Lock order is always: the benchmark slot (taken inside tasks.evaluate), then this gate; a compile
takes only the gate. So there is no cycle.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["DeviceGate", "GatedBackend"]


class DeviceGate:
    """Shared holders (compiles, validations) or one exclusive holder (a benchmark); writers are not starved."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting_writers = 0
        self.exclusive_holds = 0  # benchmarks run under the gate (for tests and the overhead note)

    @contextmanager
    def shared(self) -> Iterator[None]:
        """Hold the gate shared (no benchmark runs meanwhile)."""
        with self._cond:
            self._cond.wait_for(lambda: not self._writer and not self._waiting_writers)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the gate alone (nothing else of this search runs on the device meanwhile)."""
        with self._cond:
            self._waiting_writers += 1
            self._cond.wait_for(lambda: not self._writer and not self._readers)
            self._waiting_writers -= 1
            self._writer = True
            self.exclusive_holds += 1
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class GatedBackend:
    """A backend whose compiles and validations hold the gate shared and whose measurements hold it alone."""

    def __init__(self, inner: Any, gate: DeviceGate) -> None:
        self.inner, self.gate = inner, gate
        self.name = inner.name

    def __getattr__(self, name: str) -> Any:  # availability, config, ... of the wrapped backend
        value = getattr(self.inner, name)
        if name in ("benchmark", "validate_and_benchmark", "profile"):
            return self._held(value, self.gate.exclusive)
        if name in ("compile", "validate"):
            return self._held(value, self.gate.shared)
        return value

    @staticmethod
    def _held(method: Any, hold: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            with hold():
                return method(*args, **kwargs)

        call.__name__ = getattr(method, "__name__", "call")
        return call
