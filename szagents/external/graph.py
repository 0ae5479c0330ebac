"""What a recorded MCP run is made of: the budgets the server enforces, its team (one outside agent), its graph."""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph
from pydantic import BaseModel, ConfigDict, Field

from szagents.roles.context import RunContext
from szagents.roles.graph import finish, logged, router
from szagents.roles.state import AgentState
from szagents.roles.team import AUTHOR_ROLES, RoleSpec, Team
from szagents.roles.validator import validator
from szagents.run.budgets import BUDGET_KEYS, budget_items
from szagents.tasks.catalog import get_task
from szagents.tasks.task import Budgets

__all__ = ["MCP_BUDGET_KEYS", "McpBudgets", "TOOL_CALLS_PER_ITERATION", "external_team", "mcp_graph", "parse_mcp_budgets"]

TOOL_CALLS_PER_ITERATION = 4  # default tool-call budget: 4 x the task's iteration (LLM-call) budget
MCP_BUDGET_KEYS = {"tool_calls": ("tool_calls", True), **BUDGET_KEYS, "deadline": ("deadline", False)}
"""--budget key of an MCP run -> (field, whole number?); iterations and tokens are recorded, not enforced"""


class McpBudgets(BaseModel):
    """What the server enforces for an MCP agent (its LLM calls and tokens are invisible here)."""

    model_config = ConfigDict(frozen=True)

    tool_calls: int = Field(gt=0)
    wall_seconds: float = Field(gt=0)
    deadline_epoch: float | None = None  # Unix time when the run's time is up however late it started (a runner's)


def parse_mcp_budgets(task_id: str, text: str | None) -> tuple[Budgets, McpBudgets]:
    """--budget tool_calls=N,wall=SECONDS[,deadline=UNIX_TIME] over the task's budgets (iterations/tokens are recorded)."""
    task_budgets = get_task(task_id).budgets
    values = {**task_budgets.model_dump(), "tool_calls": TOOL_CALLS_PER_ITERATION * task_budgets.iterations,
              **budget_items(text or "", MCP_BUDGET_KEYS, "--budget tool_calls=160,wall=3600")}
    budgets = Budgets(iterations=int(values["iterations"]), tokens=int(values["tokens"]),
                      wall_seconds=values["wall_seconds"])
    return budgets, McpBudgets(tool_calls=int(values["tool_calls"]), wall_seconds=values["wall_seconds"],
                               deadline_epoch=values.get("deadline"))


def external_team(agent: str) -> Team:
    """The team of an MCP run: one outside agent (a conversation we do not see) in every role."""
    return Team(name="external", roles={r: RoleSpec(model=agent, conversation="agent") for r in AUTHOR_ROLES})


def mcp_graph() -> StateGraph:
    """validator and finish with the standard router; an author's turn ends the invocation (the agent is outside)."""
    graph = StateGraph(AgentState, context_schema=RunContext)
    turns = {"translator": END, "optimizer": END}
    graph.add_node("validator", logged("validator", validator))
    graph.add_node("finish", logged("finish", finish))
    targets = ["validator", "finish", END]
    graph.add_conditional_edges(START, router(START, turns), targets)
    graph.add_conditional_edges("validator", router("validator", turns), targets)
    graph.add_edge("finish", END)
    return graph
