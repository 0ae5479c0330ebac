"""The single-agent baseline: one author node plays translator and optimizer in one conversation.

Run it with `szagents run --team single ...`, or load `graph` in LangGraph tooling (langgraph.json).
The runtime context (szagents.roles.RunContext) supplies the task, models, tools and harness.
"""

from szagents.roles.graph import build_graph

graph = build_graph("single").compile()
