"""read_events / iter_events / read_run: typed events back, torn and garbled lines skipped, newer formats kept."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from szagents.trajectory import (
    FORMAT_VERSION,
    TRAJECTORY_FILENAME,
    EventBase,
    NodeEnter,
    RunStart,
    TrajectoryWarning,
    TrajectoryWriter,
    iter_events,
    read_events,
    read_run,
)
from tests.trajectory.samples import RUN_ID, sample_events


def _write_three(path: Path) -> list[EventBase]:
    with TrajectoryWriter(path, RUN_ID) as writer:
        return [writer.emit(NodeEnter(run_id=RUN_ID, node=f"n{i}")) for i in range(3)]


def _append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as file:
        file.write(text)


def test_truncated_last_line_warns_and_rest_loads(tmp_path):
    """A last line cut short (no newline, invalid JSON) gives one 'truncated' warning; earlier events load."""
    path = tmp_path / "t.jsonl"
    written = _write_three(path)
    _append(path, '{"event":"node_enter","format_version":1,"run_id":"' + RUN_ID + '","seq":3,"no')
    with pytest.warns(TrajectoryWarning, match="truncated last line") as caught:
        events = read_events(path)
    assert len(caught) == 1
    assert events == written


def test_garbled_middle_line_warns_and_is_skipped(tmp_path):
    """A non-JSON line between valid ones is skipped with a warning naming its line number."""
    path = tmp_path / "t.jsonl"
    with TrajectoryWriter(path, RUN_ID) as writer:
        first = writer.emit(NodeEnter(run_id=RUN_ID, node="a"))
        _append(path, "\x00\xff garbage {\n[1, 2]\n")
        second = writer.emit(NodeEnter(run_id=RUN_ID, node="b"))
    with pytest.warns(TrajectoryWarning, match="garbled") as caught:
        events = read_events(path)
    assert [str(w.message).split(": ")[0].endswith(f".jsonl:{n}") for n, w in zip((2, 3), caught)] == [True, True]
    assert events == [first, second]


def test_unknown_event_type_warns_once_and_is_kept(tmp_path):
    """Two lines of an unknown event type give one warning and load as EventBase with their fields."""
    path = tmp_path / "t.jsonl"
    _write_three(path)
    for seq in (3, 4):
        _append(path, json.dumps({"event": "gpu_telemetry", "format_version": FORMAT_VERSION, "run_id": RUN_ID,
                                  "seq": seq, "ts": "2026-01-01T00:00:00+00:00", "watts": 350.5}) + "\n")
    with pytest.warns(TrajectoryWarning, match="unknown event type 'gpu_telemetry'") as caught:
        events = read_events(path)
    assert len(caught) == 1
    assert [type(e) for e in events[3:]] == [EventBase, EventBase]
    assert events[4].event == "gpu_telemetry" and events[4].seq == 4 and events[4].watts == 350.5


def test_newer_format_version_warns_once_and_is_kept(tmp_path):
    """Known events with a newer format_version load untyped, with new fields, after one warning."""
    path = tmp_path / "t.jsonl"
    record = sample_events()["run_start"].model_dump() | {"format_version": FORMAT_VERSION + 1, "gpu_clock_mhz": 1980}
    _append(path, json.dumps(record) + "\n" + json.dumps(record | {"seq": 1}) + "\n")
    with pytest.warns(TrajectoryWarning, match="newer") as caught:
        events = read_events(path)
    assert len(caught) == 1
    assert all(type(e) is EventBase for e in events)
    assert events[0].gpu_clock_mhz == 1980 and events[0].task_id == "szp/translate/cuda"


def test_schema_mismatch_is_kept_untyped_with_warning(tmp_path):
    """A known event type missing a required field loads as EventBase instead of being dropped."""
    path = tmp_path / "t.jsonl"
    record = sample_events()["run_start"].model_dump()
    del record["kernel"]
    _append(path, json.dumps(record) + "\n")
    with pytest.warns(TrajectoryWarning, match="does not match its schema"):
        (event,) = read_events(path)
    assert type(event) is EventBase and event.task_id == record["task_id"]


def test_line_that_is_not_an_event_is_skipped(tmp_path):
    """JSON objects without a string event or without run_id are skipped with a warning each."""
    path = tmp_path / "t.jsonl"
    _append(path, '{"hello": "world"}\n\n{"event": "node_enter", "format_version": 1}\n')
    with pytest.warns(TrajectoryWarning, match="not an event") as caught:
        assert read_events(path) == []
    assert len(caught) == 2


def test_iter_events_is_lazy_and_read_run_uses_run_dir(tmp_path):
    """iter_events yields events one by one, and read_run reads run_dir/trajectory.jsonl."""
    written = _write_three(tmp_path / TRAJECTORY_FILENAME)
    iterator = iter_events(tmp_path / TRAJECTORY_FILENAME)
    assert next(iterator) == written[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert read_run(tmp_path) == written
    assert isinstance(read_run(tmp_path)[0], NodeEnter) and not isinstance(read_run(tmp_path)[0], RunStart)
