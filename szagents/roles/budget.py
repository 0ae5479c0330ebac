"""Budget checks: iterations (LLM calls), tokens, wall time."""

from __future__ import annotations

from szagents.roles.state import AgentState
from szagents.tasks.task import Budgets

__all__ = ["BudgetSpent", "exhausted"]


class BudgetSpent(Exception):
    """A budget shared beyond this agent (a search strategy's, see RunContext.meter) is used up before a call."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # the stop reason: budget_iterations, budget_tokens, budget_cost, budget_wall


def exhausted(state: AgentState, budgets: Budgets) -> str | None:
    """The stop reason when a budget is used up, else None."""
    if sum(state.get("iterations", {}).values()) >= budgets.iterations:
        return "budget_iterations"
    if state.get("input_tokens", 0) + state.get("output_tokens", 0) >= budgets.tokens:
        return "budget_tokens"
    if state.get("elapsed_seconds", 0.0) >= budgets.wall_seconds:
        return "budget_wall"
    return None
