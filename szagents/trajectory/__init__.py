"""Typed trajectory events, their JSONL writer and reader, and the LangGraph checkpointer setup."""

from __future__ import annotations

from szagents.trajectory.checkpoint import CHECKPOINT_FILENAME, open_checkpointer
from szagents.trajectory.events import (
    EVENT_TYPES,
    FORMAT_VERSION,
    BenchmarkEvent,
    CompileEvent,
    ErrorEvent,
    Event,
    EventBase,
    LlmCall,
    NodeEnter,
    NodeExit,
    RevisionEvent,
    RollbackEvent,
    RouteEvent,
    RunEnd,
    RunStart,
    ToolCall,
    ValidationEvent,
)
from szagents.trajectory.reader import TRAJECTORY_FILENAME, TrajectoryWarning, iter_events, read_events, read_run
from szagents.trajectory.writer import TrajectoryWriter, to_json_safe

__all__ = [
    "FORMAT_VERSION",
    "EventBase",
    "RunStart",
    "RunEnd",
    "NodeEnter",
    "NodeExit",
    "LlmCall",
    "ToolCall",
    "CompileEvent",
    "ValidationEvent",
    "BenchmarkEvent",
    "RevisionEvent",
    "RollbackEvent",
    "RouteEvent",
    "ErrorEvent",
    "Event",
    "EVENT_TYPES",
    "TRAJECTORY_FILENAME",
    "CHECKPOINT_FILENAME",
    "TrajectoryWriter",
    "TrajectoryWarning",
    "to_json_safe",
    "iter_events",
    "read_events",
    "read_run",
    "open_checkpointer",
]
