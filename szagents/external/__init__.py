"""Runs whose agent is outside szagents (Codex CLI, Gemini CLI, Claude Code, any MCP client).

`McpRun` records such a run exactly as a graph run (same workspace, events, revisions, validator)
while serving its tools over MCP; `run_external` launches an agent command against it over HTTP,
`run_external_stdio` lets the agent start the server itself over stdio.
"""

from szagents.external.graph import McpBudgets, external_team, mcp_graph
from szagents.external.run import McpRun
from szagents.external.runner import run_external
from szagents.external.runner_stdio import run_external_stdio

__all__ = ["McpBudgets", "McpRun", "external_team", "mcp_graph", "run_external", "run_external_stdio"]
