"""Study files: a grid (tasks x models x tiers x teams x targets) with repeats, budgets and a runs folder.

```toml
[study]
name = "tiers"
runs_dir = "runs/tiers"          # relative to the study file's folder
repeats = 2
budget = "iterations=8"          # per run, over each task's budgets (iterations, tokens, wall)
cost_budget_usd = 20.0           # optional: stop launching runs once the study has spent this
concurrency = 4                  # runs at once (local executor)
quick = false                    # fewer benchmark repetitions, on the tasks' smaller quick datasets
prices = "prices.toml"           # optional price file over the bundled one
checkpoint = "postgresql://..."  # optional; default SQLite in each run folder
[grid]
task = ["szx-optimize-cpu"]
model = ["scripted:demo"]
tier = ["user", "expert"]
team = ["single"]                # single | multi | best-of-n | evolve (a search: knobs in [strategy])
target = ["cpu"]                 # optional backends; default each task's target
[team_models]                    # optional: a team's cells use this model instead of the grid's (a scripted
evolve = "scripted:evolve_szx_cpu"  # model scripts one kind of reply: evolve's mutator writes edits, not tool calls)
[strategy]                       # optional knobs of best-of-n / evolve cells (strategies.StrategyConfig)
n = 4
evolve = { population = 40, islands = 2, generation_size = 2 }
[limits]
openai = 4                       # optional: at most this many runs of a provider at once
[rate_limits]                    # optional: request rates per provider, shared by all the study's runs
openai = { requests_per_minute = 500 }            # window_s = 10: at most 500/6 calls in any 10 s
[slurm]                          # optional, for --executor slurm
partition = "gpu"
setup = ["source ~/venvs/szagents/bin/activate"]
```
"""

from __future__ import annotations

import itertools
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from szagents.errors import InputError, UnknownSpecError
from szagents.models.ratelimit import RateLimit
from szagents.models.registry import parse_spec
from szagents.roles.team import Team
from szagents.run.budgets import budget_items, parse_budgets
from szagents.run.config import RunConfig
from szagents.strategies.config import SEARCHES, StrategyConfig
from szagents.tasks.task import Budgets
from szagents.tiers import Tier

__all__ = ["Cell", "StudyFile", "StudySettings", "SlurmSettings", "Grid", "load_study", "runs_of"]

STUDY_BUDGET_EXAMPLE = 'budget = "iterations=8,tokens=1000000,wall=600"'


class StudySettings(BaseModel):
    """The [study] table."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    runs_dir: Path
    repeats: int = Field(default=1, ge=1)
    budget: str = ""
    cost_budget_usd: float | None = Field(default=None, gt=0)
    concurrency: int = Field(default=1, ge=1)
    quick: bool = False
    prices: Path | None = None
    checkpoint: str | None = None
    retries: int = Field(default=1, ge=0)  # extra attempts for a run that raised, per invocation

    @field_validator("budget")
    @classmethod
    def _budget(cls, value: str) -> str:
        budget_items(value, example=STUDY_BUDGET_EXAMPLE, name="budget")
        return value


class SlurmSettings(BaseModel):
    """The optional [slurm] table: how each run's job-array task is submitted."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    partition: str | None = None
    account: str | None = None
    qos: str | None = None
    cpus_per_run: int = Field(default=2, ge=1)
    mem_gb: float = Field(default=8, gt=0)
    gpus_per_run: int | None = Field(default=None, ge=0)  # None: 1 where the run's backend needs a GPU, else 0
    time_min: int | None = Field(default=None, ge=1)  # None: the wall budget plus 10 minutes
    setup: list[str] = Field(default_factory=list)  # shell lines before each run (module load ..., source venv)
    sbatch: dict[str, str | int] = Field(default_factory=dict)  # any other #SBATCH option


class Grid(BaseModel):
    """The [grid] table: every combination is a cell."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task: list[str] = Field(min_length=1)
    model: list[str] = Field(min_length=1)
    tier: list[Tier] = Field(default_factory=lambda: ["user"], min_length=1)
    team: list[Literal["single", "multi", "best-of-n", "evolve"]] = Field(default_factory=lambda: ["single"], min_length=1)
    target: list[str | None] = Field(default_factory=lambda: [None], min_length=1)

    @field_validator("model")
    @classmethod
    def _models(cls, value: list[str]) -> list[str]:
        for spec in value:
            try:
                parse_spec(spec)
            except UnknownSpecError as exc:
                raise ValueError(str(exc)) from None
        return value


def _slug(text: str) -> str:
    """Folder-safe text; a path inside a spec ('scripted:/x/my_script.json') becomes its stem."""
    parts = [Path(p).stem if "/" in p else p for p in text.split(":")]
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", "_".join(parts)).strip("_")


class Cell(BaseModel):
    """One combination of the grid."""

    model_config = ConfigDict(frozen=True)

    task: str
    model: str
    tier: str
    team: str
    target: str | None = None

    @property
    def name(self) -> str:
        """Folder-safe name: task__model__tier__team[__target]."""
        parts = [self.task, _slug(self.model), self.tier, self.team] + ([self.target] if self.target else [])
        return "__".join(parts)

    @property
    def providers(self) -> list[str]:
        """Model providers the cell uses."""
        return [parse_spec(self.model)[0]]

    def team_spec(self) -> Team:
        """The Team of this cell."""
        return Team.single(self.model) if self.team == "single" else Team.multi(self.model)


class StudyFile(BaseModel):
    """A parsed study file; runs_dir and prices resolved against the file's folder."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    study: StudySettings
    grid: Grid
    limits: dict[str, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)
    rate_limits: dict[str, RateLimit] = Field(default_factory=dict)
    slurm: SlurmSettings = Field(default_factory=SlurmSettings)
    strategy: dict[str, Any] = Field(default_factory=dict)  # StrategyConfig's knobs for the grid's searches
    team_models: dict[str, str] = Field(default_factory=dict)  # team -> the model its cells use instead of the grid's

    @field_validator("team_models")
    @classmethod
    def _team_models(cls, value: dict[str, str]) -> dict[str, str]:
        for team, spec in value.items():
            if team not in ("single", "multi", *SEARCHES):
                raise ValueError(f"team_models key {team!r} is not a team; use single, multi, {', '.join(SEARCHES)}")
            try:
                parse_spec(spec)
            except UnknownSpecError as exc:
                raise ValueError(str(exc)) from None
        return value

    @field_validator("strategy")
    @classmethod
    def _strategy_knobs(cls, value: dict[str, Any]) -> dict[str, Any]:
        if "kind" in value:
            raise ValueError("the grid's team axis names the strategy (best-of-n, evolve); drop 'kind'")
        StrategyConfig(kind="evolve", **value)  # every knob checked once, whichever searches the grid names
        return value

    @model_validator(mode="after")
    def _limits_name_grid_providers(self) -> StudyFile:
        used = sorted({parse_spec(cell.model)[0] for cell in self.cells()})
        for table, keys in (("limits", self.limits), ("rate_limits", self.rate_limits)):
            for provider in keys:
                if provider not in used:
                    raise ValueError(f"{table} key {provider!r} is not the provider of any model in the grid "
                                     f"(its providers: {', '.join(used)}); name one of those")
        return self

    def cells(self) -> list[Cell]:
        """Every combination of the grid, in file order (a team with its own model has one cell, not one per model)."""
        g = self.grid
        cells = [Cell(task=t, model=self.team_models.get(e, m), tier=r, team=e, target=x)
                 for t, m, r, e, x in itertools.product(g.task, g.model, g.tier, g.team, g.target)]
        return list(dict.fromkeys(cells))

    def budgets(self, task_budgets: Budgets) -> Budgets:
        """A run's budgets: the task's, overridden by the study's budget string."""
        return parse_budgets(self.study.budget, task_budgets, example=STUDY_BUDGET_EXAMPLE, name="budget") or task_budgets

    def strategy_of(self, cell: Cell) -> StrategyConfig | None:
        """The search a cell runs (its team names best-of-n or evolve, with the [strategy] knobs); None: a team."""
        return StrategyConfig(kind=cell.team, **self.strategy) if cell.team in SEARCHES else None

    def run_config(self, cell: Cell, repeat: int, task_budgets: Budgets) -> RunConfig:
        """The RunConfig of one cell's repeat (1-based), folder named from the cell."""
        strategy = self.strategy_of(cell)
        inner = strategy.inner if strategy is not None and strategy.kind == "best-of-n" else "single"
        team = cell.team_spec() if strategy is None else Cell(**{**cell.model_dump(), "team": inner}).team_spec()
        return RunConfig(
            task=cell.task, team=team, tier=cell.tier, backend=cell.target, strategy=strategy,
            budgets=self.budgets(task_budgets), runs_dir=self.study.runs_dir, run_id=f"{cell.name}__r{repeat}",
            checkpoint=self.study.checkpoint, quick=self.study.quick, rate_limits=self.rate_limits,
        )


def runs_of(study: StudyFile, task_budgets: dict[str, Budgets]) -> list[tuple[Cell, RunConfig]]:
    """(cell, run config) for every cell x repeat, repeats interleaved so early results cover every cell."""
    return [(cell, study.run_config(cell, r, task_budgets[cell.task]))
            for r in range(1, study.study.repeats + 1) for cell in study.cells()]


def load_study(path: Path) -> StudyFile:
    """Read and check a study file; paths inside it are relative to its folder."""
    try:
        raw = tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InputError(f"study file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"study file {path} is not valid TOML: {exc}") from None
    try:
        study = StudyFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the file"
        raise InputError(f"study file {path}: {where}: {first['msg'].removeprefix('Value error, ')} (see `szagents study --help` for the shape)") from None
    base = Path(path).resolve().parent
    settings = study.study.model_copy(update={
        "runs_dir": base / study.study.runs_dir,
        "prices": base / study.study.prices if study.study.prices else None,
    })
    return study.model_copy(update={"study": settings})
