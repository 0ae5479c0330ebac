"""Format 3: events carry typed harness results; records of older formats read through trajectory.upgrade."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import pytest

from szagents.trajectory import (
    FORMAT_VERSION,
    BenchmarkCase,
    BenchmarkEvent,
    BoundViolation,
    CaseResult,
    Environment,
    EventBase,
    NodeEnter,
    RevisionEvent,
    Timing,
    TrajectoryWarning,
    TrajectoryWriter,
    ValidationEvent,
    Verdict,
    read_events,
    to_json_safe,
)
from szagents.trajectory.upgrade import upgrade
from tests.trajectory.samples import RUN_ID, sample_benchmark_case, sample_case


def _append(path: Path, *records: dict) -> None:
    with open(path, "a", encoding="utf-8") as file:
        file.writelines(json.dumps(record) + "\n" for record in records)


def _old(event: EventBase, version: int, **changes) -> dict:
    """The record an older writer wrote for event (as TrajectoryWriter writes it: "inf" for inf) under its version."""
    return to_json_safe(event.model_dump()) | {"format_version": version, **changes}


def test_a_new_run_round_trips_typed_results(tmp_path):
    """Written and read back, a validation and a benchmark give equal events whose cases, environment and verdicts
    are the typed results (inf psnr included); the file holds plain JSON values under format 3."""
    path = tmp_path / "t.jsonl"
    env = Environment(backend="cuda", device="H100", memory_bandwidth_gbps=3350.0)
    with TrajectoryWriter(path, RUN_ID) as writer:
        written = [writer.emit(ValidationEvent(run_id=RUN_ID, by="validator", verdict=Verdict.bound_violation,
                                               cases=[sample_case()])),
                   writer.emit(BenchmarkEvent(run_id=RUN_ID, by="tool", verdict=Verdict.ok,
                                              cases=[sample_benchmark_case()], environment=env))]
    validation, benchmark = read_events(path)
    assert [validation, benchmark] == written
    assert validation.verdict is Verdict.bound_violation and isinstance(validation.cases[0], CaseResult)
    assert validation.cases[0].violation == BoundViolation(index=17, value=1.0, reconstructed=1.002, abs_error=2e-3,
                                                           error_over_eb=2.0, count=3)
    assert isinstance(benchmark.cases[0], BenchmarkCase) and isinstance(benchmark.cases[0].compress, Timing)
    assert benchmark.cases[0].psnr_db == math.inf and benchmark.environment == env
    on_disk = [json.loads(line) for line in path.read_text().splitlines()]
    assert {r["format_version"] for r in on_disk} == {FORMAT_VERSION} == {3}
    assert on_disk[0]["verdict"] == "bound_violation" and on_disk[0]["cases"][0]["verdict"] == "bound_violation"
    assert on_disk[1]["cases"][0]["psnr_db"] == "inf" and on_disk[1]["environment"]["backend"] == "cuda"


@pytest.mark.parametrize("version", [1, 2])
def test_older_formats_read_as_typed_results(tmp_path, version):
    """Records of formats 1 and 2 (results as model dumps, verdicts as strings, no candidate_id in 1) read typed."""
    path = tmp_path / "t.jsonl"
    validation = ValidationEvent(run_id=RUN_ID, by="validator", verdict="bound_violation", cases=[sample_case()])
    benchmark = BenchmarkEvent(run_id=RUN_ID, by="validator", verdict="ok", cases=[sample_benchmark_case()],
                               environment=Environment(backend="cpu", device="x86_64", threads=2))
    records = [_old(validation, version), _old(benchmark, version)]
    if version == 1:
        records = [{k: v for k, v in r.items() if k != "candidate_id"} for r in records]
    _append(path, *records)
    read = read_events(path)
    assert [e.format_version for e in read] == [version, version]
    assert [e.model_dump(exclude={"format_version"}) for e in read] == [
        e.model_dump(exclude={"format_version"}) for e in (validation, benchmark)]


def test_result_fields_this_version_does_not_know_are_dropped(tmp_path):
    """A free dict of format 2 with a writer's own keys (in a case, its timings and the environment), and a newer
    writer's optional result field under format 3, read typed without them; an event's own extras are kept."""
    path = tmp_path / "t.jsonl"
    event = BenchmarkEvent(run_id=RUN_ID, by="validator", verdict="ok", cases=[sample_benchmark_case()],
                           environment=Environment(backend="cpu", device="x86_64"))
    record = _old(event, 2, gpu_clock_mhz=1980)
    record["cases"][0] |= {"exec_time_s": 1.5, "spread": [1, 2]}
    record["cases"][0]["compress"] |= {"l2_flush": "memset"}
    record["environment"] |= {"driver": "550.54"}
    newer = _old(ValidationEvent(run_id=RUN_ID, by="tool", verdict="ok", cases=[sample_case()]), FORMAT_VERSION)
    newer["cases"][0]["violation"] |= {"neighbours": [0.5, 0.7]}
    _append(path, record, newer)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrajectoryWarning)
        benchmark, validation = read_events(path)
    assert type(benchmark) is BenchmarkEvent and benchmark.cases == event.cases
    assert benchmark.environment == event.environment and benchmark.gpu_clock_mhz == 1980
    assert type(validation) is ValidationEvent and validation.cases == [sample_case()]


@pytest.mark.parametrize("damage, complaint", [
    (lambda r: r["cases"][0].pop("dataset"), "cases.0.dataset"),
    (lambda r: r.update(verdict="mostly_ok"), "verdict"),
    (lambda r: r["cases"][0].update(violation="first at 17"), "cases.0.violation"),
    (lambda r: r.update(cases="all passed"), "cases"),
])
def test_a_result_that_does_not_fit_warns_with_file_and_line(tmp_path, damage, complaint):
    """A case missing a needed field, a verdict that is none, or a malformed nested result is named with the file,
    its line and the field, and the event is kept untyped (as any schema mismatch)."""
    path = tmp_path / "t.jsonl"
    record = _old(ValidationEvent(run_id=RUN_ID, by="validator", verdict="bound_violation", cases=[sample_case()]), 2)
    damage(record)
    _append(path, _old(NodeEnter(run_id=RUN_ID, node="validator"), 2), record)
    with pytest.warns(TrajectoryWarning, match="does not match its schema") as caught:
        events = read_events(path)
    assert f"{path}:2: 'validation' event" in str(caught[0].message) and complaint in str(caught[0].message)
    assert type(events[1]) is EventBase and events[1].by == "validator"


def test_a_revision_verdict_is_a_verdict_or_unevaluated(tmp_path):
    """A revision's verdict reads back as a Verdict (or the store's 'unevaluated'); anything else is refused."""
    fields = dict(run_id=RUN_ID, number=1, role="optimizer", action="a", sha256="ab" * 32, files=["kernel.c"],
                  correct=False)
    path = tmp_path / "t.jsonl"
    with TrajectoryWriter(path, RUN_ID) as writer:
        writer.emit(RevisionEvent(verdict="ratio_regression", **fields))
        writer.emit(RevisionEvent(verdict="unevaluated", **fields))
    assert [e.verdict for e in read_events(path)] == [Verdict.ratio_regression, "unevaluated"]
    with pytest.raises(ValueError, match="verdict"):
        RevisionEvent(verdict="mostly_ok", **fields)


def test_upgrade_leaves_events_without_results_as_they_are():
    """Only fields that hold results are rewritten: a record of another event type is returned untouched."""
    record = _old(NodeEnter(run_id=RUN_ID, node="validator"), 1, surprise={"keep": "me"})
    assert upgrade(record, NodeEnter) is record

