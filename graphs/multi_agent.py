"""The multi-agent team: translator and optimizer nodes with their own conversations (and models).

Run it with `szagents run --team multi --model A --optimizer-model B ...`, or load `graph` in
LangGraph tooling (langgraph.json) with a context of task, model and tier (see
szagents.run.studio). The validator node is shared with the single-agent graph.
"""

from szagents.run.studio import studio_graph

graph = studio_graph("multi")
