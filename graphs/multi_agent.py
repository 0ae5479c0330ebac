"""The multi-agent team: translator and optimizer nodes with their own conversations (and models).

Run it with `szagents run --team multi --model A --optimizer-model B ...`, or load `graph` in
LangGraph tooling (langgraph.json). The validator node is shared with the single-agent graph.
"""

from szagents.roles.graph import build_graph

graph = build_graph("multi").compile()
