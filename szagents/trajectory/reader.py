"""Read trajectory.jsonl back into typed events, tolerating a torn last line and newer formats.

A line that is not a JSON object (a write cut short by a kill, or garbage) is skipped with a
`TrajectoryWarning`. An event type this version does not know, or a `format_version` newer than
`FORMAT_VERSION`, is kept as a plain `EventBase` (its fields as extras) and warned about once per
read, so logs written by a newer szagents still load. Floats the writer stored as "inf", "-inf"
or "nan" come back as floats in float-typed fields (pydantic parses those strings). Events of older
formats are read through `upgrade.upgrade`, the one place that knows what their writers wrote.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from szagents.trajectory.events import EVENT_TYPES, FORMAT_VERSION, EventBase
from szagents.trajectory.search_events import SEARCH_EVENT_TYPES
from szagents.trajectory.upgrade import upgrade

__all__ = ["TRAJECTORY_FILENAME", "TrajectoryWarning", "iter_events", "read_events", "read_run"]

TRAJECTORY_FILENAME = "trajectory.jsonl"


class TrajectoryWarning(UserWarning):
    """A trajectory line was skipped, or kept untyped because its format is newer or unknown."""


def decode_line(raw: bytes) -> dict[str, Any] | None:
    """The JSON object on one raw line, or None if the line is not one."""
    try:
        record = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return record if isinstance(record, dict) else None


def iter_events(path: Path) -> Iterator[EventBase]:
    """Yield the events of a trajectory file in file order, skipping unreadable lines with a warning."""
    warned: set[str] = set()
    with open(path, "rb") as file:
        for lineno, raw in enumerate(file, start=1):
            if not raw.strip():
                continue
            record = decode_line(raw)
            if record is None:
                _warn_bad_line(path, lineno, torn=not raw.endswith(b"\n"))
                continue
            event = _to_event(record, path, lineno, warned)
            if event is not None:
                yield event


def read_events(path: Path) -> list[EventBase]:
    """All readable events of a trajectory file, typed by their `event` field."""
    return list(iter_events(path))


def read_run(run_dir: Path) -> list[EventBase]:
    """All readable events of the run stored in run_dir (its trajectory.jsonl)."""
    return read_events(Path(run_dir) / TRAJECTORY_FILENAME)


def _to_event(record: dict[str, Any], path: Path, lineno: int, warned: set[str]) -> EventBase | None:
    """The typed event for a record; EventBase for unknown or newer ones; None if not an event."""
    try:
        base = EventBase.model_validate(record)
    except ValidationError as exc:
        _warn(f"{path}:{lineno}: not an event ({_first_error(exc)}), skipped")
        return None
    cls = EVENT_TYPES.get(base.event) or SEARCH_EVENT_TYPES.get(base.event)
    newer = base.format_version > FORMAT_VERSION
    if cls is not None and not newer:
        try:
            return cls.model_validate(upgrade(record, cls))
        except ValidationError as exc:
            _warn(f"{path}:{lineno}: {base.event!r} event does not match its schema ({_first_error(exc)}), "
                  "kept as plain EventBase")
    elif newer and f"version:{base.format_version}" not in warned:
        warned.add(f"version:{base.format_version}")
        _warn(f"{path}:{lineno}: format_version {base.format_version} is newer than {FORMAT_VERSION}; "
              "such events are kept as plain EventBase (upgrade szagents to read them typed)")
    elif not newer and f"event:{base.event}" not in warned:
        warned.add(f"event:{base.event}")
        _warn(f"{path}:{lineno}: unknown event type {base.event!r}; such events are kept as plain EventBase")
    return base


def _first_error(exc: ValidationError) -> str:
    """'field: message' of a validation error's first problem, plus how many more there are."""
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "record"
    more = f" and {exc.error_count() - 1} more" if exc.error_count() > 1 else ""
    return f"{where}: {first['msg']}{more}"


def _warn_bad_line(path: Path, lineno: int, torn: bool) -> None:
    """Warn that a line is not JSON; a line without its newline is the torn last write."""
    if torn:
        _warn(f"{path}:{lineno}: truncated last line (the writer was likely killed mid-write), skipped")
    else:
        _warn(f"{path}:{lineno}: garbled line (not a JSON object), skipped")


def _warn(message: str) -> None:
    """Emit a TrajectoryWarning pointing at the caller of the reader."""
    warnings.warn(message, TrajectoryWarning, stacklevel=4)
