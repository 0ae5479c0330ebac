"""Run-scoped handles of a search (never in state): task, team, shared budget, gate, store, models, log."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from szagents.models.calls import CallPolicy
from szagents.roles.context import EventSink, Policy
from szagents.roles.team import Team
from szagents.strategies.budget import SharedBudget
from szagents.strategies.config import StrategyConfig
from szagents.strategies.gate import DeviceGate
from szagents.tasks.task import Budgets, Task
from szagents.trajectory.events import EventBase, RunEnd

__all__ = ["CandidateSink", "LockedRevisions", "SearchContext"]


class CandidateSink:
    """The run's sink, stamping every event with a candidate id; a candidate's own run_end is not a run's end."""

    def __init__(self, sink: EventSink, candidate: str) -> None:
        self.sink, self.candidate = sink, candidate

    def emit(self, event: EventBase) -> EventBase | None:
        """Write event stamped with the candidate (a RunEnd of the candidate's agent is dropped: see CandidateResult)."""
        if isinstance(event, RunEnd):
            return None
        return self.sink.emit(event.model_copy(update={"candidate_id": self.candidate}))


class LockedRevisions:
    """The run's RevisionStore shared by concurrent candidates: saves are serialised so numbers stay unique."""

    def __init__(self, store: Any) -> None:
        self.store, self._lock = store, threading.Lock()

    def save(self, *args: Any, **kwargs: Any) -> Any:
        """RevisionStore.save under the lock."""
        with self._lock:
            return self.store.save(*args, **kwargs)

    def save_reused(self, *args: Any, **kwargs: Any) -> Any:
        """RevisionStore.save_reused under the lock."""
        with self._lock:
            return self.store.save_reused(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:  # get, files, diff, same_files, best, restore, ...
        return getattr(self.store, name)


@dataclass
class SearchContext:
    """Everything a strategy's nodes need that is not state."""

    run_id: str
    run_dir: Path
    task: Task
    team: Team  # the team of each best-of-n agent; evolve's mutator plays the first author role's model
    tier: str
    strategy: StrategyConfig
    budgets: Budgets
    sink: EventSink
    backend: Any  # a GatedBackend over the run's backend
    gate: DeviceGate
    meter: SharedBudget
    revisions: LockedRevisions
    make_model: Callable[[str, str, int], BaseChatModel]  # (role, candidate, ordinal) -> that candidate's model for role
    saver: Any  # the run's checkpointer (best-of-n agents checkpoint in their own threads of it)
    start_files: Mapping[str, bytes]  # the starting workspace's files (evolve's seed program)
    mutator_spec: str  # evolve: the model spec the mutator role plays (the team's first author's)
    tools_template: Any  # a ToolContext with the task's spec and problems built once; candidates replace its workspace
    # (candidate, role, iteration) -> response of every call already in the trajectory: never paid twice
    recorded: dict[tuple[str, str, int], dict[str, Any]] = field(default_factory=dict)
    lineage: Mapping[str, Any] = field(default_factory=dict)  # candidate -> CandidateEvent to follow (resume, replay)
    logged: frozenset[str] = frozenset()  # candidates this run's trajectory already announces
    policy: Policy = field(default_factory=Policy)
    call_policy: CallPolicy = field(default_factory=CallPolicy)
    shell: bool = False
    tools_kind: str = "inprocess"

    def recorded_for(self, candidate: str) -> dict[tuple[str, int], dict[str, Any]]:
        """(role, iteration) -> response of one candidate's recorded calls."""
        return {(role, it): resp for (cand, role, it), resp in self.recorded.items() if cand == candidate}
