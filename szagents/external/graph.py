"""What a recorded MCP run is made of: the budgets the server enforces, its team (one outside agent), its graph."""

from __future__ import annotations

from langgraph.graph import END, START, StateGraph
from pydantic import BaseModel, ConfigDict, Field

from szagents.roles.context import RunContext
from szagents.roles.graph import finish, logged, router
from szagents.roles.state import AgentState
from szagents.roles.team import AUTHOR_ROLES, RoleSpec, Team
from szagents.roles.validator import validator

__all__ = ["McpBudgets", "external_team", "mcp_graph"]


class McpBudgets(BaseModel):
    """What the server enforces for an MCP agent (its LLM calls and tokens are invisible here)."""

    model_config = ConfigDict(frozen=True)

    tool_calls: int = Field(gt=0)
    wall_seconds: float = Field(gt=0)
    deadline_epoch: float | None = None  # Unix time when the run's time is up however late it started (a runner's)


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
