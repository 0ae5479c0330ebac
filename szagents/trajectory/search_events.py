"""Trajectory events of search strategies (format version 2): candidates, their results, migrations.

Every other event a candidate causes (llm_call, tool_call, compile, revision, ...) carries the
candidate's id in `EventBase.candidate_id`; these three say where a candidate came from and how it
fared, so a lineage can be drawn and a search resumed or replayed from the log alone.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from szagents.trajectory.events import EventBase

__all__ = ["CandidateEvent", "CandidateResult", "MigrationEvent", "SEARCH_EVENT_TYPES"]


class CandidateEvent(EventBase):
    """A candidate is planned: its parent and inspirations, written before any call is made for it."""

    event: Literal["candidate"] = "candidate"
    candidate_id: str  # type: ignore[assignment] - required here
    strategy: str  # best-of-n or evolve
    generation: int
    island: int | None = None
    parent: str | None = None  # a candidate id; None: the starting code
    inspirations: list[str] = Field(default_factory=list)
    edit: Literal["start", "agent", "diff", "full"]  # start: the starting code; agent: a whole agent run; diff / full: one reply


class CandidateResult(EventBase):
    """How a candidate fared: the last cascade stage it reached, its verdict, fitness and features."""

    event: Literal["candidate_result"] = "candidate_result"
    candidate_id: str  # type: ignore[assignment] - required here
    stage: Literal["none", "edit", "compile", "validate", "screen", "benchmark"]  # last stage run
    verdict: str  # ok, the harness verdict, edit_error, no_submission, or budget_* (never ran)
    correct: bool = False
    revision: int | None = None
    objective: float | None = None  # the task's objective of the full benchmark (the fitness)
    screen_objective: float | None = None
    ratio: float | None = None
    features: dict[str, float] = Field(default_factory=dict)
    archived: bool = False  # entered the archive (evolve) / won (best-of-n)
    stop_reason: str | None = None  # best-of-n: why the candidate's agent stopped
    detail: str = ""
    seconds: float = 0.0


class MigrationEvent(EventBase):
    """Programs copied between islands (ring topology) on the migration schedule; none when each best was there."""

    event: Literal["migration"] = "migration"
    generation: int
    moves: list[tuple[str, int, int]]  # (program, from island, to island)


SEARCH_EVENT_TYPES: dict[str, type[EventBase]] = {
    cls.model_fields["event"].default: cls for cls in (CandidateEvent, CandidateResult, MigrationEvent)
}
