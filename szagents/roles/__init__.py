"""Agent roles (translator, optimizer, validator) and the graphs composed from them."""

from szagents.roles.author import make_author
from szagents.roles.context import Policy, RunContext
from szagents.roles.graph import build_graph, finish, finish_as, logged, router
from szagents.roles.state import AgentState, initial_state
from szagents.roles.team import RoleSpec, Team
from szagents.roles.validator import validator

__all__ = [
    "AgentState", "Policy", "RoleSpec", "RunContext", "Team", "build_graph", "finish", "finish_as",
    "initial_state", "logged", "make_author", "router", "validator",
]
