"""Every knob of a search strategy, saved in run.json and settable from a study's [strategy] table.

Defaults and where they come from:
- evolve's program database (population 1000, archive 100, 5 islands, migration every 50
  generations of 10 % of an island, ring topology, exploration 0.2 / exploitation 0.7, elite
  selection 0.1, 10 bins per feature, 3 top and 2 diverse programs in the prompt, diff-based
  children, temperature 0.7, seed 42) are OpenEvolve 0.4.1's `openevolve.config` defaults, the open
  implementation of AlphaEvolve. Those sizes suit 10,000-call runs; study files scale them down.
- the archive's features default to the study's two measured axes, compression ratio and the
  task's objective throughput (OpenEvolve's default axes, complexity and diversity, describe code,
  not kernels).
- the cascade (compile, validate on the small cases, a short screening benchmark, the full
  benchmark only for a candidate that could enter the archive) follows OpenEvolve's cascade
  evaluation; its 10 % screening margin is the validator's rollback margin (roles.context.Policy).
- best-of-n's N = 8 and 4 calls in flight are this project's choice: KernelBench's test-time
  scaling studies sample 8-100 independent attempts per task; 4 is the study executor's default
  provider limit order of magnitude for one run.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["SEARCHES", "CascadeConfig", "EvolveConfig", "StrategyConfig", "FEATURES"]

SEARCHES = ("best-of-n", "evolve")
FEATURES = ("ratio", "compress_gbps", "decompress_gbps", "gmean_gbps", "objective", "code_chars")


class CascadeConfig(BaseModel):
    """Cheap checks before expensive ones: which stages run and what a candidate must pass to go on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    screen: bool = True  # a short benchmark first; the full one only where the archive could take the candidate
    screen_min_seconds: float = Field(default=0.1, gt=0)
    screen_reps: int = Field(default=3, ge=1)
    screen_margin: float = Field(default=0.10, ge=0, lt=1)  # screened objective may be this far below the cell's elite


class EvolveConfig(BaseModel):
    """The program database and the sampling of parents and inspirations (OpenEvolve 0.4.1 defaults)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    population: int = Field(default=1000, ge=1)
    archive: int = Field(default=100, ge=1)
    islands: int = Field(default=5, ge=1)
    features: tuple[str, ...] = ("ratio", "objective")
    feature_bins: int = Field(default=10, ge=1)
    migration_interval: int = Field(default=50, ge=1)  # generations between migrations
    migration_rate: float = Field(default=0.1, ge=0, le=1)
    exploration: float = Field(default=0.2, ge=0, le=1)  # parent: random member of its island
    exploitation: float = Field(default=0.7, ge=0, le=1)  # parent: an archive elite; else fitness-weighted
    elite_ratio: float = Field(default=0.1, ge=0, le=1)  # share of the archive exploitation draws from (best first)
    top_programs: int = Field(default=3, ge=0)  # inspirations: the island's best
    diverse_programs: int = Field(default=2, ge=0)  # inspirations: elites of other archive cells
    diff_based: bool = True  # children as SEARCH/REPLACE edits (False: whole files)
    full_rewrite_probability: float = Field(default=0.0, ge=0, le=1)
    generation_size: int = Field(default=4, ge=1)  # children per generation (run at once)

    @model_validator(mode="after")
    def _checked(self) -> EvolveConfig:
        unknown = [f for f in self.features if f not in FEATURES]
        if unknown or not self.features:
            raise ValueError(f"evolve features {unknown or '(none)'} not understood; choose from {', '.join(FEATURES)}")
        if self.exploration + self.exploitation > 1:
            raise ValueError("evolve exploration + exploitation must be at most 1 (the rest is fitness-weighted)")
        return self


class StrategyConfig(BaseModel):
    """Which search runs and its knobs; budgets stay the run's (shared by every candidate)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["best-of-n", "evolve"]
    n: int = Field(default=8, ge=1)  # best-of-n: independent agents
    inner: Literal["single", "multi"] = "single"  # best-of-n: the team each agent is
    concurrency: int = Field(default=4, ge=1)  # LLM calls (candidates) in flight at once
    cost_usd: float | None = Field(default=None, gt=0)  # shared cost budget, priced by the run's price table
    temperature: dict[str, float] = Field(default_factory=lambda: {"mutator": 0.7})  # role -> sampling temperature
    seed: int = 42
    evolve: EvolveConfig = Field(default_factory=EvolveConfig)
    cascade: CascadeConfig = Field(default_factory=CascadeConfig)
