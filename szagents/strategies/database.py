"""The program database of `evolve`: islands of programs and a MAP-Elites archive over chosen features.

Plain data (it lives in the graph state, so a checkpoint restores it) plus deterministic functions:
a draw depends only on the seed, the generation and the child's slot, never on call order, so a
resumed or replayed search samples the same parents and inspirations.

- Islands: each holds program ids (a member list, capped at population / islands; the weakest go
  first, never the island's best). A child joins its parent's island. Only correct programs join.
- Archive: one elite per feature cell, the highest objective wins, at most `archive` elites (the
  weakest dropped). Cells bin each feature on a log2 scale around the starting code's value
  (1/4x ... 4x in `feature_bins` steps), so cells never move as the search finds new extremes.
- Parents: with `exploration` a random island member, with `exploitation` one of the best
  `elite_ratio` of the archive, else an island member drawn in proportion to its fitness.
  Inspirations: the island's `top_programs` best and `diverse_programs` elites of other cells.
- Migration (ring): every `migration_interval` generations each island copies its best
  `migration_rate` share (at least one) to the next island.
"""

from __future__ import annotations

import math
import random

from pydantic import BaseModel, ConfigDict, Field

from szagents.strategies.config import EvolveConfig

__all__ = ["Program", "ProgramDatabase", "Draw"]

_SPAN = 2.0  # log2 half-width of the feature scale: 1/4x .. 4x the reference value


class Program(BaseModel):
    """One evaluated child (or the starting code, id 'seed')."""

    model_config = ConfigDict(frozen=True)

    id: str
    parent: str | None = None
    island: int = 0
    generation: int = 0
    revision: int | None = None
    correct: bool = False
    objective: float | None = None  # full benchmark (the fitness); None: not benchmarked
    screen_objective: float | None = None
    features: dict[str, float] = Field(default_factory=dict)

    @property
    def fitness(self) -> float:
        """objective, else the screening estimate, else 0."""
        return self.objective if self.objective is not None else (self.screen_objective or 0.0)


class Draw(BaseModel):
    """A child's parent and inspirations, drawn on one island."""

    model_config = ConfigDict(frozen=True)

    island: int
    parent: str
    inspirations: list[str]


class ProgramDatabase(BaseModel):
    """Islands, archive and every program, as plain data (see the module docstring)."""

    programs: dict[str, Program] = Field(default_factory=dict)
    islands: list[list[str]] = Field(default_factory=list)
    archive: dict[str, str] = Field(default_factory=dict)  # cell "b0,b1" -> program id
    reference: dict[str, float] = Field(default_factory=dict)  # feature -> the starting code's value

    @classmethod
    def seeded(cls, seed: Program, config: EvolveConfig) -> ProgramDatabase:
        """A database whose every island starts from the starting code."""
        db = cls(islands=[[] for _ in range(config.islands)])
        db.reference = {k: v for k, v in seed.features.items() if v and v > 0}
        db.add(seed.model_copy(update={"island": 0}), config, all_islands=True)
        return db

    # -- cells and the archive -----------------------------------------------------------------
    def cell(self, features: dict[str, float], config: EvolveConfig) -> str | None:
        """The archive cell of features; None when one is missing or not positive."""
        bins = []
        for name in config.features:
            value, ref = features.get(name), self.reference.get(name)
            if value is None or value <= 0:
                return None
            scaled = (math.log2(value / ref) + _SPAN) / (2 * _SPAN) if ref else 0.5
            bins.append(min(config.feature_bins - 1, max(0, int(scaled * config.feature_bins))))
        return ",".join(map(str, bins))

    def could_enter(self, features: dict[str, float], estimate: float, config: EvolveConfig, margin: float) -> bool:
        """Whether a program with these features and about this objective could take its archive cell."""
        key = self.cell(features, config)
        if key is None:
            return False
        elite = self.programs.get(self.archive.get(key, ""))
        return elite is None or estimate >= elite.fitness * (1 - margin)

    def _archive(self, program: Program, config: EvolveConfig) -> bool:
        if not program.correct or program.objective is None:
            return False
        key = self.cell(program.features, config)
        if key is None:
            return False
        elite = self.programs.get(self.archive.get(key, ""))
        if elite is not None and elite.fitness >= program.fitness:
            return False
        self.archive[key] = program.id
        while len(self.archive) > config.archive:
            weakest = min(self.archive, key=lambda k: (self.programs[self.archive[k]].fitness, self.archive[k]))
            del self.archive[weakest]
        return self.archive.get(key) == program.id

    # -- membership ----------------------------------------------------------------------------
    def add(self, program: Program, config: EvolveConfig, all_islands: bool = False) -> bool:
        """Record program; a correct one joins its island (all islands: the seed); True if it entered the archive."""
        self.programs[program.id] = program
        if program.correct:
            for i in (range(len(self.islands)) if all_islands else [program.island]):
                self._join(i, program.id, config)
        return self._archive(program, config)

    def _join(self, island: int, pid: str, config: EvolveConfig) -> None:
        members = self.islands[island]
        if pid not in members:
            members.append(pid)
        cap = max(1, config.population // len(self.islands))
        while len(members) > cap:
            best = max(members, key=self._rank)
            weakest = min((m for m in members if m != best), key=self._rank)
            members.remove(weakest)

    def _rank(self, pid: str) -> tuple[float, str]:
        return self.programs[pid].fitness, pid

    def best(self) -> Program | None:
        """The correct program with the highest full-benchmark objective."""
        measured = [p for p in self.programs.values() if p.correct and p.objective is not None]
        return max(measured, key=lambda p: (p.objective, p.id)) if measured else None

    # -- sampling ------------------------------------------------------------------------------
    def draw(self, island: int, rng: random.Random, config: EvolveConfig) -> Draw:
        """A parent and inspirations for a child on island (see the module docstring)."""
        members = sorted(self.islands[island]) or ["seed"]
        elites = sorted(set(self.archive.values()), key=self._rank, reverse=True)
        roll = rng.random()
        if roll < config.exploration or (not elites and roll < config.exploration + config.exploitation):
            parent = rng.choice(members)
        elif roll < config.exploration + config.exploitation:
            parent = rng.choice(elites[:max(1, math.ceil(config.elite_ratio * len(elites)))])
        else:
            weights = [self.programs[m].fitness + 1e-9 for m in members]
            parent = rng.choices(members, weights=weights)[0]
        top = [m for m in sorted(members, key=self._rank, reverse=True) if m != parent][:config.top_programs]
        others = [e for e in elites if e != parent and e not in top]
        diverse = rng.sample(others, min(config.diverse_programs, len(others)))
        return Draw(island=island, parent=parent, inspirations=top + diverse)

    def migrate(self, config: EvolveConfig) -> list[tuple[str, int, int]]:
        """Copy each island's best share to the next island (ring); the moves made."""
        k = len(self.islands)
        if k < 2:
            return []
        chosen = []
        for i, members in enumerate(self.islands):
            ranked = sorted(members, key=self._rank, reverse=True)
            count = max(1, math.ceil(config.migration_rate * len(ranked))) if ranked else 0
            chosen += [(pid, i, (i + 1) % k) for pid in ranked[:count] if pid not in self.islands[(i + 1) % k]]
        for pid, _, target in chosen:
            self._join(target, pid, config)
        return chosen
