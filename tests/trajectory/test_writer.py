"""TrajectoryWriter: one flushed, valid JSON line per event, seq continuity, thread and kill safety."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
import structlog
from hypothesis import given, settings
from hypothesis import strategies as st

from szagents.trajectory import (
    EVENT_TYPES,
    NodeEnter,
    NodeExit,
    RunEnd,
    TrajectoryWarning,
    TrajectoryWriter,
    read_events,
)
from tests.trajectory.samples import RUN_ID, sample_events

REPO = Path(__file__).resolve().parents[2]


def _enter(i: int, run_id: str = RUN_ID) -> NodeEnter:
    return NodeEnter(run_id=run_id, node=f"node{i}")


def test_every_event_type_round_trips(tmp_path):
    """Each event type written by the writer reads back as an equal model of the same class."""
    samples = sample_events()
    assert set(samples) == set(EVENT_TYPES), "add a sample for every new event type"
    path = tmp_path / "trajectory.jsonl"
    with TrajectoryWriter(path, RUN_ID) as writer:
        written = [writer.emit(event) for event in samples.values()]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read = read_events(path)
    assert read == written
    assert [type(e) for e in read] == [type(e) for e in samples.values()]
    assert [e.seq for e in read] == list(range(len(samples)))
    assert [e.ts for e in read] == [e.ts for e in samples.values()]


def test_each_line_is_one_compact_json_object(tmp_path):
    """Every emit adds exactly one newline-terminated JSON object carrying the event's seq."""
    path = tmp_path / "t.jsonl"
    with TrajectoryWriter(path, RUN_ID) as writer:
        for i in range(3):
            writer.emit(_enter(i))
            lines = path.read_text().splitlines(keepends=True)
            assert len(lines) == i + 1 and lines[-1].endswith("\n")
            assert json.loads(lines[-1])["seq"] == i


def test_non_json_values_are_converted_not_fatal(tmp_path):
    """numpy values, Paths, sets, bytes, lone surrogates and inf/nan are written as JSON and read back as documented."""
    path = tmp_path / "t.jsonl"
    event = NodeExit(run_id=RUN_ID, node="n", duration_s=float("inf"),
                     changes={"n": np.int64(7), "x": np.float32(0.5), "a": np.arange(3), "p": Path("/w/k.cu"),
                              "s": {3, 1}, "bad": [float("nan"), -math.inf], "ok": np.bool_(True),
                              "raw": b"\xff\x00k", "lone": "\udcff"},
                     extra_peak=np.float64("nan"))
    with TrajectoryWriter(path, RUN_ID) as writer:
        written = writer.emit(event)
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text
    (read,) = read_events(path)
    assert read.duration_s == math.inf
    assert read.changes == {"n": 7, "x": 0.5, "a": [0, 1, 2], "p": "/w/k.cu", "s": [1, 3],
                            "bad": ["nan", "-inf"], "ok": True, "raw": "\\xff\x00k", "lone": "\udcff"}
    assert read.model_extra == {"extra_peak": "nan"}
    assert written.changes == read.changes


def test_non_finite_typed_floats_round_trip(tmp_path):
    """Float-typed fields holding inf, -inf or nan read back as those floats."""
    path = tmp_path / "t.jsonl"
    event = RunEnd(run_id=RUN_ID, stop_reason="error", iterations={}, input_tokens=0, output_tokens=0,
                   wall_seconds=math.inf, best_compress_gbps=-math.inf, best_ratio=math.nan)
    with TrajectoryWriter(path, RUN_ID) as writer:
        writer.emit(event)
    (read,) = read_events(path)
    assert isinstance(read, RunEnd)
    assert read.wall_seconds == math.inf and read.best_compress_gbps == -math.inf
    assert math.isnan(read.best_ratio)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(changes=st.dictionaries(st.text(), json_values, max_size=5))
def test_json_payloads_round_trip_exactly(tmp_path_factory, changes):
    """Any JSON-typed payload with finite floats and arbitrary unicode reads back unchanged."""
    path = tmp_path_factory.mktemp("prop") / "t.jsonl"
    event = NodeExit(run_id=RUN_ID, node="n", duration_s=1.0, changes=changes)
    with TrajectoryWriter(path, RUN_ID) as writer:
        writer.emit(event)
    assert read_events(path)[0].changes == changes


def test_second_writer_continues_seq(tmp_path):
    """A writer opened on an existing file (a resumed run) appends after the last seq."""
    path = tmp_path / "t.jsonl"
    with TrajectoryWriter(path, RUN_ID) as writer:
        for i in range(3):
            writer.emit(_enter(i))
    with TrajectoryWriter(path, RUN_ID) as writer:
        assert writer.next_seq == 3
        assert writer.emit(_enter(3)).seq == 3
    assert [e.seq for e in read_events(path)] == [0, 1, 2, 3]


def test_resume_after_torn_line_keeps_new_lines_whole(tmp_path):
    """After a torn last line, a new writer continues from the last valid seq and its line is readable."""
    path = tmp_path / "t.jsonl"
    with TrajectoryWriter(path, RUN_ID) as writer:
        writer.emit(_enter(0))
        writer.emit(_enter(1))
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) - 20])  # cut the last line short: seq 1 is lost
    with TrajectoryWriter(path, RUN_ID) as writer:
        assert writer.emit(_enter(2)).seq == 1
    with pytest.warns(TrajectoryWarning, match="garbled"):
        events = read_events(path)
    assert [(e.seq, e.node) for e in events] == [(0, "node0"), (1, "node2")]


def test_mismatched_run_id_and_closed_writer_raise(tmp_path):
    """Emitting another run's event, or emitting after close, raises and writes nothing."""
    path = tmp_path / "t.jsonl"
    writer = TrajectoryWriter(path, RUN_ID)
    with pytest.raises(ValueError, match="run_id"):
        writer.emit(_enter(0, run_id="other"))
    writer.close()
    writer.close()
    with pytest.raises(ValueError, match="closed"):
        writer.emit(_enter(0))
    assert path.read_text() == ""


def test_global_structlog_configuration_is_ignored(tmp_path):
    """The writer's output is unchanged when the application configures structlog globally."""
    path = tmp_path / "t.jsonl"
    structlog.configure(processors=[lambda *_: "GLOBAL"], logger_factory=structlog.PrintLoggerFactory())
    try:
        with TrajectoryWriter(path, RUN_ID) as writer:
            writer.emit(_enter(0))
    finally:
        structlog.reset_defaults()
    assert "GLOBAL" not in path.read_text()
    assert read_events(path)[0].node == "node0"


def test_concurrent_emits_give_unique_ordered_seqs(tmp_path):
    """Emits from 8 threads produce whole lines whose seqs are 0..n-1 in file order."""
    path = tmp_path / "t.jsonl"
    threads, per_thread = 8, 150
    with TrajectoryWriter(path, RUN_ID) as writer:
        def work(t: int) -> None:
            for i in range(per_thread):
                writer.emit(NodeExit(run_id=RUN_ID, node=f"t{t}", duration_s=0.0, changes={"i": i, "pad": "x" * 500}))
        pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        events = read_events(path)
    assert [e.seq for e in events] == list(range(threads * per_thread))
    for t in range(threads):
        assert [e.changes["i"] for e in events if e.node == f"t{t}"] == list(range(per_thread))


CHILD = """
import sys
from pathlib import Path
from szagents.trajectory import TrajectoryWriter, ToolCall
writer = TrajectoryWriter(Path(sys.argv[1]), "r")
while True:
    event = writer.emit(ToolCall(run_id="r", role="optimizer", tool="read_file", args={"path": "k.cu"},
                                 ok=True, output="x" * 200_000, duration_s=0.1))
    print(event.seq, flush=True)
"""


def _read_acks(fd: int, until: int | None) -> bytes:
    """Bytes of the child's acknowledgements straight from the pipe (no read-ahead buffer can hide any):
    until `until` lines have arrived, or (None) until end of file."""
    data = b""
    while until is None or data.count(b"\n") < until:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    return data


def test_sigkill_loses_at_most_the_line_in_flight(tmp_path):
    """A writer process killed with SIGKILL leaves every acknowledged event readable, seqs without gaps.

    Every acknowledgement the child printed is counted, whenever the kill lands: the pipe is read unbuffered up
    to the kill and then to its end, so machine speed only changes how many events there are, not the check."""
    path = tmp_path / "trajectory.jsonl"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, bufsize=0)
    try:
        data = _read_acks(child.stdout.fileno(), until=60)
        os.kill(child.pid, signal.SIGKILL)
        data += _read_acks(child.stdout.fileno(), until=None)
        child.wait(timeout=30)
        err = child.stderr.read().decode(errors="replace")
    finally:
        if child.poll() is None:
            child.kill()
        child.stdout.close()
        child.stderr.close()
    # A line without its newline was never fully acknowledged (a pipe write this short is atomic anyway).
    acknowledged = [int(x) for x in data.split(b"\n")[:-1]]
    assert len(acknowledged) >= 60, err
    assert child.returncode == -signal.SIGKILL, err
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seqs = [e.seq for e in read_events(path)]
    assert len(caught) <= 1  # only the line being written when the kill landed may be torn
    assert seqs == list(range(len(seqs)))
    assert set(acknowledged) <= set(seqs) and len(seqs) <= len(acknowledged) + 1, (len(acknowledged), len(seqs))


def test_secrets_never_reach_the_trajectory(tmp_path, monkeypatch):
    """A secret value in any field of any event (tool output, LLM response) is written as [redacted]."""
    from szagents.trajectory.events import ErrorEvent
    from szagents.trajectory.writer import TrajectoryWriter

    monkeypatch.setenv("OPENAI_API_KEY", "sk-live-0123456789abcdef")
    with TrajectoryWriter(tmp_path / "t.jsonl", "r1") as writer:
        writer.emit(ErrorEvent(run_id="r1", kind="tool", message="leaked sk-live-0123456789abcdef here"))
    text = (tmp_path / "t.jsonl").read_text()
    assert "sk-live-0123456789abcdef" not in text and "leaked [redacted] here" in text


def test_secrets_are_read_at_each_event_and_once_per_event(tmp_path, monkeypatch):
    """A secret set after the writer opened is redacted from the next event on; the environment is read once per
    event, not once per string field (the per-field read was 13,000 scans of os.environ in the roles tests)."""
    from szagents.trajectory import writer as writer_module
    from szagents.trajectory.events import ErrorEvent

    reads = []
    real = writer_module.secret_values
    monkeypatch.setattr(writer_module, "secret_values", lambda *a: reads.append(1) or real(*a))
    with writer_module.TrajectoryWriter(tmp_path / "t.jsonl", "r1") as writer:
        writer.emit(ErrorEvent(run_id="r1", kind="tool", message="before tok-0123456789"))
        monkeypatch.setenv("HF_TOKEN", "tok-0123456789")
        writer.emit(ErrorEvent(run_id="r1", kind="tool", message="after tok-0123456789"))
    text = (tmp_path / "t.jsonl").read_text()
    assert "before tok-0123456789" in text and "after [redacted]" in text
    assert len(reads) == 2
