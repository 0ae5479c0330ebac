"""A minimal LangGraph tool loop (model -> tools -> model ... until a reply has no tool calls) and its tools."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import tool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode


@tool
def list_files(path: str) -> str:
    """List the files under path."""
    return "kernel.cu\nREADME.md"


@tool
def read_file(path: str) -> str:
    """Read the file at path."""
    return f"// contents of {path}"


@tool
def write_file(path: str, content: str) -> str:
    """Write content to the file at path."""
    return f"wrote {len(content)} characters to {path}"


TOOLS = [list_files, read_file, write_file]


def agent_loop(model: Any, checkpointer: Any = None, interrupt: bool = False) -> Any:
    """model -> tools -> model ... until a reply has no tool calls."""
    bound = model.bind_tools(TOOLS)
    graph = StateGraph(MessagesState)
    graph.add_node("model", lambda state: {"messages": [bound.invoke(state["messages"])]})
    graph.add_node("tools", ToolNode(TOOLS))
    graph.add_edge(START, "model")
    graph.add_conditional_edges("model", lambda s: "tools" if s["messages"][-1].tool_calls else END)
    graph.add_edge("tools", "model")
    return graph.compile(checkpointer=checkpointer, interrupt_after=["model"] if interrupt else None)
