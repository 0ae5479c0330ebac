"""The single-agent baseline: one author node plays translator and optimizer in one conversation.

Run it with `szagents run --team single ...`, or load `graph` in LangGraph tooling (langgraph.json):
`langgraph dev` shows its state and context schemas and runs it with a context of task, model and
tier (defaults: szx-optimize-cpu, scripted:demo, expert; see szagents.run.studio).
"""

from szagents.run.studio import studio_graph

graph = studio_graph("single")
