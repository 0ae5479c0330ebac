"""Search strategies: how revisions are searched beyond one agent or team (best-of-n, evolve).

A strategy is a LangGraph graph over `SearchState` with a `SearchContext`, built from the same
role nodes, validator, revision store and trajectory as a team run; the run builder
(run.search) wires it. Compose a new one in Python from these parts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from szagents.errors import UnknownSpecError
from szagents.lazy import exports

if TYPE_CHECKING:
    from langgraph.graph import StateGraph

    from szagents.strategies.best_of_n import build_best_of_n
    from szagents.strategies.budget import SharedBudget
    from szagents.strategies.config import SEARCHES, CascadeConfig, EvolveConfig, StrategyConfig
    from szagents.strategies.context import SearchContext
    from szagents.strategies.database import Program, ProgramDatabase
    from szagents.strategies.edits import EditError, apply_reply
    from szagents.strategies.evolve import build_evolve
    from szagents.strategies.gate import DeviceGate, GatedBackend

__getattr__ = exports(__name__, {  # each loaded on first use (szagents/lazy.py)
    "szagents.strategies.best_of_n": ("build_best_of_n",),
    "szagents.strategies.budget": ("SharedBudget",),
    "szagents.strategies.config": ("SEARCHES", "CascadeConfig", "EvolveConfig", "StrategyConfig"),
    "szagents.strategies.context": ("SearchContext",),
    "szagents.strategies.database": ("Program", "ProgramDatabase"),
    "szagents.strategies.edits": ("EditError", "apply_reply"),
    "szagents.strategies.evolve": ("build_evolve",),
    "szagents.strategies.gate": ("DeviceGate", "GatedBackend"),
})

__all__ = ["SEARCHES", "CascadeConfig", "DeviceGate", "EditError", "EvolveConfig", "GatedBackend", "Program",
           "ProgramDatabase", "SearchContext", "SharedBudget", "StrategyConfig", "apply_reply", "build_best_of_n",
           "build_evolve", "build_strategy"]


def build_strategy(kind: str) -> StateGraph:
    """The graph of a search strategy by name: best-of-n or evolve."""
    from szagents.strategies.best_of_n import build_best_of_n
    from szagents.strategies.evolve import build_evolve

    builders = {"best-of-n": build_best_of_n, "evolve": build_evolve}
    if kind not in builders:
        raise UnknownSpecError(f"unknown strategy {kind!r}; search strategies: {', '.join(builders)} "
                               "(single and multi are teams: --team)")
    return builders[kind]()
