"""Compose your own graph from szagents' parts: a translation-only study.

The Cerebras experiments of the study ask one question: does a runnable, correct translation
appear within the budget? This graph has a translator and the validator, and stops at the first
correct revision instead of handing over to an optimizer. Same nodes, different wiring.

    python examples/custom_graph.py [MODEL_SPEC]      (default: scripted:translate_szx_cpu)
"""

from __future__ import annotations

import sys
from pathlib import Path

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from szagents.roles import AgentState, RunContext, Team, finish_as, logged, make_author, validator
from szagents.run import RunConfig, start_run


def stop_at_first_correct(state: AgentState, runtime: Runtime[RunContext]) -> str:
    """After the validator: finish once a revision is correct, else back to the translator."""
    if state.get("best") is not None or state.get("stop_reason"):
        return "finish"
    return "translator"


def after_translator(state: AgentState, runtime: Runtime[RunContext]) -> str:
    """After the translator: validate a submission, stop when the agent or the budget stops."""
    if state.get("stop_reason"):
        return "finish"
    return "validator" if state.get("submission") else "translator"


def build() -> StateGraph:
    graph = StateGraph(AgentState, context_schema=RunContext)
    graph.add_node("translator", logged("translator", make_author("translator")))
    graph.add_node("validator", logged("validator", validator))
    graph.add_node("finish", logged("finish", finish_as("first_correct")))  # the run_end names this graph's rule
    graph.add_edge(START, "translator")
    graph.add_conditional_edges("translator", after_translator, ["validator", "translator", "finish"])
    graph.add_conditional_edges("validator", stop_at_first_correct, ["translator", "finish"])
    graph.add_edge("finish", END)
    return graph


if __name__ == "__main__":
    model = sys.argv[1] if len(sys.argv) > 1 else "scripted:translate_szx_cpu"
    config = RunConfig(task="szx-translate-cpu", team=Team.multi(model), tier="knowledgeable",
                       runs_dir=Path("runs"), quick=True)
    outcome = start_run(config, graph=build())
    print(f"{outcome.run_dir}: stopped ({outcome.state['stop_reason'] or 'first_correct'}); "
          f"best revision {outcome.state.get('best')}")
