"""Typed trajectory events, their JSONL writer and reader, and the LangGraph checkpointer setup.

The harness results the events carry (Verdict, CaseResult, BenchmarkCase, ...) are re-exported here, so that
readers of the logs (analysis) need nothing from the backends that wrote them.
"""

from __future__ import annotations

from szagents.backends.results import BenchmarkCase, BoundViolation, CaseResult, Environment, Timing, Verdict
from szagents.trajectory.checkpoint import CHECKPOINT_FILENAME, open_checkpointer
from szagents.trajectory import events
from szagents.trajectory.events import *  # noqa: F403 - the event models are part of this API
from szagents.trajectory.search_events import SEARCH_EVENT_TYPES, CandidateEvent, CandidateResult, MigrationEvent
from szagents.trajectory.reader import TRAJECTORY_FILENAME, TrajectoryWarning, iter_events, read_events, read_run
from szagents.trajectory.writer import TrajectoryWriter, to_json_safe

__all__ = [
    *events.__all__,
    "TRAJECTORY_FILENAME",
    "CHECKPOINT_FILENAME",
    "TrajectoryWriter",
    "TrajectoryWarning",
    "to_json_safe",
    "iter_events",
    "read_events",
    "read_run",
    "open_checkpointer",
    "CandidateEvent",
    "CandidateResult",
    "MigrationEvent",
    "SEARCH_EVENT_TYPES",
    "Verdict",
    "CaseResult",
    "BoundViolation",
    "BenchmarkCase",
    "Timing",
    "Environment",
]
