"""Run-scoped handles passed to nodes through the LangGraph runtime context (never in state)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool

from szagents.models.calls import CallPolicy
from szagents.roles.team import Team
from szagents.tasks.evaluate import Evaluation
from szagents.tasks.task import Budgets, Task

__all__ = ["EventSink", "Policy", "RunContext"]


class EventSink(Protocol):
    """Where trajectory events go (a TrajectoryWriter)."""

    def emit(self, event: Any) -> Any: ...


@dataclass(frozen=True)
class Policy:
    """When a correct revision counts as better, as a regression, and when progress has plateaued."""

    improvement: float = 0.02  # score must beat the best by 2 % to become the new best
    regression: float = 0.10  # a correct revision 10 % below the best is rolled back
    plateau: int = 4  # this many correct revisions in a row without a new best stop the run
    rounds: int = 3  # interleaved re-measurement rounds per revision before a new best or a rollback
    alpha: float = 0.05  # one-sided Mann-Whitney level those rounds must reach (see roles.noise)
    extended_rounds: int = 8  # rounds each when the first ones are inconclusive but past the margin (0: never)
    extended_alpha: float = 0.01  # the level of that second look at the whole sample


@dataclass
class RunContext:
    """Everything a node needs that is not state: task, team, models, tools, harness, logs."""

    run_id: str
    run_dir: Path
    task: Task
    team: Team
    tier: str
    budgets: Budgets
    models: dict[str, BaseChatModel]  # role -> model with tools bound (validator: reviewer)
    tools: dict[str, BaseTool]
    sink: EventSink
    system_prompt: Callable[[str], str]  # role -> system prompt
    brief: Callable[[str], str]  # role -> first user message of that role's conversation
    evaluate: Callable[[], Evaluation]  # compile + validate + benchmark the workspace (logs events)
    snapshot: Callable[[], dict[str, bytes]]  # the workspace's source files
    revisions: Any  # RevisionStore: save / best / get / diff / restore
    restore: Callable[[int], None]  # roll the workspace back to a revision
    on_turn: Callable[[str], None] = lambda role: None  # told which role acts (tools stamp events with it)
    policy: Policy = field(default_factory=Policy)
    call_policy: CallPolicy = field(default_factory=CallPolicy)  # per-call timeout and retry bounds
    recorded: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)  # (role, iteration) -> response logged
    # benchmark a stored revision's files again (interleaved re-measurement); None: decide on one measurement
    measure: Callable[[Mapping[str, bytes]], Any] | None = None
    # a search strategy's shared budget: meter.for_model(spec) replaces invoke_bounded (raises roles.budget.BudgetSpent)
    meter: Any | None = None
