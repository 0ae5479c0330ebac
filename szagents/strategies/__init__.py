"""Search strategies: how revisions are searched beyond one agent or team (best-of-n, evolve).

A strategy is a LangGraph graph over `SearchState` with a `SearchContext`, built from the same
role nodes, validator, revision store and trajectory as a team run; the run builder
(run.search) wires it. Compose a new one in Python from these parts.
"""

from __future__ import annotations

from langgraph.graph import StateGraph

from szagents.errors import UnknownSpecError
from szagents.strategies.best_of_n import build_best_of_n
from szagents.strategies.budget import SharedBudget
from szagents.strategies.config import SEARCHES, CascadeConfig, EvolveConfig, StrategyConfig
from szagents.strategies.context import SearchContext
from szagents.strategies.database import Program, ProgramDatabase
from szagents.strategies.edits import EditError, apply_reply
from szagents.strategies.evolve import build_evolve
from szagents.strategies.gate import DeviceGate, GatedBackend

__all__ = ["SEARCHES", "CascadeConfig", "DeviceGate", "EditError", "EvolveConfig", "GatedBackend", "Program",
           "ProgramDatabase", "SearchContext", "SharedBudget", "StrategyConfig", "apply_reply", "build_best_of_n",
           "build_evolve", "build_strategy"]


def build_strategy(kind: str) -> StateGraph:
    """The graph of a search strategy by name: best-of-n or evolve."""
    builders = {"best-of-n": build_best_of_n, "evolve": build_evolve}
    if kind not in builders:
        raise UnknownSpecError(f"unknown strategy {kind!r}; search strategies: {', '.join(builders)} "
                               "(single and multi are teams: --team)")
    return builders[kind]()
