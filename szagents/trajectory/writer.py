"""Append typed events to trajectory.jsonl through a private structlog pipeline, one flushed line each.

The writer never touches structlog's global configuration: it wraps a `structlog.WriteLogger` over
its own append-mode file with an explicit processor chain (event model -> JSON-safe dict -> one
JSON line). Every line is flushed to the operating system as soon as it is written, so a killed
process loses at most the line in flight (no fsync: a power cut may lose more).

JSON-safety: numpy scalars and arrays become Python numbers and lists, paths and other objects
their `str`, bytes are decoded (invalid bytes backslash-escaped), sets become sorted lists, and
non-finite floats become the strings "inf", "-inf" and "nan" (never bare `NaN`, which is not
JSON). Float-typed event fields read back as the same floats; inside free-form dict fields such
values stay strings. Lines are ASCII (other characters JSON-escaped), so any Python string, even a
lone surrogate from undecodable tool output, is written and reads back unchanged.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from datetime import date, datetime, time
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import Any

import structlog
from pydantic import BaseModel

from szagents.backends.sandbox.scrub import scrub, secret_values
from szagents.trajectory.events import EventBase
from szagents.trajectory.reader import decode_line

__all__ = ["TrajectoryWriter", "to_json_safe"]


def to_json_safe(value: Any) -> Any:
    """A copy of value built only from JSON types (dict, list, str, finite float, int, bool, None)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return float(value)
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, Mapping):
        return {k if isinstance(k, str) else str(to_json_safe(k)): to_json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json_safe(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((to_json_safe(v) for v in value), key=repr)
    if isinstance(value, BaseModel):
        return to_json_safe(value.model_dump())
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return to_json_safe(value.tolist())  # numpy scalars and arrays, without importing numpy
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="backslashreplace")
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Enum):
        return to_json_safe(value.value)
    return str(value)


def _as_written(event: EventBase, seq: int) -> EventBase:
    """The event with seq set, as the reader will load it back: JSON-safe values, validated."""
    return type(event).model_validate(to_json_safe({**event.model_dump(), "seq": seq}))


def _model_to_record(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Processor: replace the bound `model` by its fields as a JSON-safe dict."""
    model: EventBase = event_dict.pop("model")
    return to_json_safe(model.model_dump())


def _scrubbed(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        return scrub(value, values=secrets)
    if isinstance(value, dict):
        return {k: _scrubbed(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v, secrets) for v in value]
    return value


def scrub_secrets(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Processor: the values of secret-looking environment variables (read once per event) never reach the file."""
    return _scrubbed(event_dict, secret_values())


def _scan(path: Path) -> tuple[int, bool]:
    """The seq of the last valid line of an existing file (-1 if none) and whether it ends torn."""
    if not path.exists():
        return -1, False
    data = path.read_bytes()
    torn = bool(data) and not data.endswith(b"\n")
    for raw in reversed(data.split(b"\n")):
        record = decode_line(raw) if raw.strip() else None
        if record is not None and isinstance(record.get("seq"), int):
            return record["seq"], torn
    return -1, torn


class TrajectoryWriter:
    """Thread-safe appender of one run's events; seq continues after the file's last valid line."""

    def __init__(self, path: Path, run_id: str) -> None:
        """Open path for appending (creating folders) and find the next seq."""
        self.path = Path(path)
        self.run_id = run_id
        self.path.parent.mkdir(parents=True, exist_ok=True)
        last_seq, torn = _scan(self.path)
        self._next_seq = last_seq + 1
        self._lock = threading.Lock()
        self._file = open(self.path, "a", encoding="utf-8", newline="\n")
        if torn:  # end the torn line a killed writer left, so our first line stays whole
            self._file.write("\n")
            self._file.flush()
        processors = [_model_to_record, scrub_secrets, structlog.processors.JSONRenderer(
            ensure_ascii=True, allow_nan=False, separators=(",", ":"))]
        self._log = structlog.wrap_logger(
            structlog.WriteLogger(self._file), processors=processors,
            wrapper_class=structlog.BoundLogger, context_class=dict, cache_logger_on_first_use=False,
        ).bind()

    @property
    def next_seq(self) -> int:
        """The seq the next emitted event will get."""
        return self._next_seq

    @property
    def closed(self) -> bool:
        """Whether close() was called."""
        return self._file.closed

    def emit(self, event: EventBase) -> EventBase:
        """Write event as one flushed line with the next seq; return it as the reader will load it."""
        if event.run_id != self.run_id:
            raise ValueError(f"event run_id {event.run_id!r} does not match the writer's {self.run_id!r}")
        with self._lock:
            if self._file.closed:
                raise ValueError(f"trajectory writer for {self.path} is closed")
            stamped = _as_written(event, self._next_seq)  # raises (nothing written) if invalid
            self._log.msg(model=stamped)
            self._next_seq += 1
        return stamped

    def close(self) -> None:
        """Close the file; later emits raise ValueError. Closing twice is harmless."""
        with self._lock:
            self._file.close()

    def __enter__(self) -> TrajectoryWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"TrajectoryWriter({str(self.path)!r}, run_id={self.run_id!r}, next_seq={self._next_seq})"
