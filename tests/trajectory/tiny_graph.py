"""A two-node LangGraph graph for checkpoint tests; `python -m tests.trajectory.tiny_graph RUN_DIR MODE` runs it."""

from __future__ import annotations

import operator
import os
import signal
import sys
from pathlib import Path
from typing import Annotated, Any, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from szagents.trajectory import open_checkpointer

CONFIG: dict[str, Any] = {"configurable": {"thread_id": "run-1"}}


class State(TypedDict):
    """The trace of nodes that ran; the reducer appends, so a rerun node would show twice."""

    trace: Annotated[list[str], operator.add]


def build(checkpointer: BaseCheckpointSaver, second_fails: str = "") -> CompiledStateGraph:
    """first -> second; second_fails is "", "raise" (exception) or "kill" (SIGKILL of the process)."""

    def first(state: State) -> dict[str, list[str]]:
        return {"trace": ["first"]}

    def second(state: State) -> dict[str, list[str]]:
        if second_fails == "raise":
            raise RuntimeError("interrupted in second")
        if second_fails == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        return {"trace": ["second"]}

    graph = StateGraph(State)
    graph.add_node("first", first)
    graph.add_node("second", second)
    graph.add_edge(START, "first")
    graph.add_edge("first", "second")
    graph.add_edge("second", END)
    return graph.compile(checkpointer=checkpointer)


def main(run_dir: str, mode: str, durability: str = "async") -> None:
    """Run the graph from the start with the default SQLite checkpointer in run_dir."""
    with open_checkpointer(None, Path(run_dir)) as saver:
        build(saver, mode).invoke({"trace": []}, CONFIG, durability=durability)


if __name__ == "__main__":
    main(*sys.argv[1:])
