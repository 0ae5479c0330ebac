"""RunConfig: everything that defines one agent run, saved as run.json so a run can resume."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from szagents.backends.protocol import QUICK_BENCH, BenchSettings
from szagents.models.ratelimit import RateLimit
from szagents.roles.context import Policy
from szagents.roles.team import Team
from szagents.run.run_id import RUN_ID_PATTERN, check_run_id
from szagents.strategies.config import StrategyConfig
from szagents.tasks.catalog import get_task
from szagents.tasks.task import Budgets, Task
from szagents.tiers import Tier

__all__ = ["RunConfig", "RUN_FILE", "RUN_ID_PATTERN"]

RUN_FILE = "run.json"


class RunConfig(BaseModel):
    """One run: task x team x tier x budgets, where it is written, how it is checkpointed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task: str
    team: Team
    tier: Tier = "user"
    backend: str | None = None  # None: the task's target
    budgets: Budgets | None = None  # None: the task's
    runs_dir: Path = Path("runs")
    run_id: str = ""
    checkpoint: str | None = None  # None: SQLite in the run folder; "memory"; a postgres:// URL
    base_url: str | None = None  # OpenAI-compatible server for openai: models
    shell: bool = False
    tools: Literal["inprocess", "mcp"] = "inprocess"  # mcp: the agents reach their tools through an MCP server
    quick: bool = False  # fewer benchmark repetitions on a smaller field (demos, tests): QUICK_BENCH
    plateau: int = Field(default=4, ge=1)
    api: Literal["auto", "responses", "chat"] = "auto"  # openai: models: Responses or Chat Completions API
    harness_timeout_s: float | None = Field(default=None, gt=0)  # one harness child's wall limit (None: backend's)
    call_timeout_s: float = Field(default=600.0, gt=0)  # one model-call attempt (also capped by the wall budget)
    retry_seconds: float = Field(default=180.0, ge=0)  # time allowed for retrying transient provider faults
    preflight: bool = True  # one tiny call per hosted model before anything is spent
    rate_limits: dict[str, RateLimit] = Field(default_factory=dict)  # provider -> the study's shared request rate
    strategy: StrategyConfig | None = None  # a search (best-of-n, evolve) of the team's agents; None: the team alone

    @field_validator("run_id")
    @classmethod
    def _run_id_is_a_name(cls, value: str) -> str:
        return check_run_id(value)

    def resolved_run_id(self) -> str:
        """The run id: given, or task-team-tier-UTC timestamp."""
        if self.run_id:
            return self.run_id
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{self.task}-{self.team.name}-{self.tier}-{stamp}")

    def resolved_task(self) -> Task:
        """The task this run works on (its quick form when quick: see QUICK_BENCH)."""
        task = get_task(self.task)
        return task.quick() if self.quick else task

    def bench_settings(self) -> BenchSettings:
        """Benchmark repetition policy (fewer repetitions when quick)."""
        return QUICK_BENCH if self.quick else BenchSettings()

    def policy(self) -> Policy:
        """Best/regression/plateau policy of the validator."""
        return Policy(plateau=self.plateau)
