"""The program database: archive cells, islands, deterministic draws, ring migration."""

from __future__ import annotations

import random

from szagents.strategies.config import EvolveConfig
from szagents.strategies.database import Program, ProgramDatabase

CONFIG = EvolveConfig(population=6, archive=3, islands=2, feature_bins=4, top_programs=1, diverse_programs=1)


def _prog(pid: str, objective: float | None, ratio: float = 3.0, island: int = 0, correct: bool = True) -> Program:
    features = {"ratio": ratio, "objective": objective} if objective else {}
    return Program(id=pid, island=island, correct=correct, objective=objective, revision=1, features=features)


def _db() -> ProgramDatabase:
    return ProgramDatabase.seeded(_prog("seed", 1.0), CONFIG)


def test_the_seed_is_on_every_island_and_in_the_archive():
    db = _db()
    assert db.islands == [["seed"], ["seed"]] and list(db.archive.values()) == ["seed"]


def test_a_cell_keeps_its_best_program_and_a_new_cell_takes_any_correct_one():
    db = _db()
    assert db.add(_prog("fast", 1.1), CONFIG)  # same cell as the seed (log2 1.1 < one bin), better
    assert not db.add(_prog("slow", 1.05), CONFIG)
    assert db.add(_prog("faster3x", 3.0), CONFIG)  # another cell
    assert not db.add(_prog("broken", None, correct=False), CONFIG)
    assert sorted(db.archive.values()) == ["fast", "faster3x"]
    assert db.best().id == "faster3x"


def test_could_enter_compares_with_the_cells_elite_within_the_margin():
    db = _db()
    db.add(_prog("top", 1.9), CONFIG)  # the top of the seed's cell (bins are 2x wide here)
    assert db.could_enter({"ratio": 3.0, "objective": 1.75}, 1.75, CONFIG, margin=0.1)
    assert not db.could_enter({"ratio": 3.0, "objective": 1.6}, 1.6, CONFIG, margin=0.1)
    assert db.could_enter({"ratio": 3.0, "objective": 5.0}, 5.0, CONFIG, margin=0.0)  # an empty cell


def test_islands_are_capped_without_dropping_their_best():
    db = _db()
    for i in range(6):
        db.add(_prog(f"p{i}", 1.0 + 0.01 * i, island=0), CONFIG)
    assert len(db.islands[0]) == 3 and "p5" in db.islands[0]


def test_draws_depend_only_on_the_seed_and_are_never_the_parent_among_inspirations():
    db = _db()
    for i in range(4):
        db.add(_prog(f"p{i}", 1.0 + i, island=i % 2), CONFIG)
    first = [db.draw(k % 2, random.Random(f"42:1:{k}"), CONFIG) for k in range(6)]
    again = [db.draw(k % 2, random.Random(f"42:1:{k}"), CONFIG) for k in range(6)]
    assert first == again
    assert all(d.parent not in d.inspirations for d in first)


def test_migration_copies_each_islands_best_to_the_next_island():
    db = _db()
    db.add(_prog("a", 2.0, island=0), CONFIG)
    db.add(_prog("b", 4.0, island=1), CONFIG)
    moves = db.migrate(CONFIG)
    assert ("a", 0, 1) in moves and ("b", 1, 0) in moves
    assert "b" in db.islands[0] and "a" in db.islands[1]
