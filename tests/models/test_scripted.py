"""ScriptedChatModel: bound tools, position from the conversation, $file arguments and their errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver

from szagents.models import ScriptedChatModel, ScriptError, load_script, make_model
from szagents.models.scripted import FINAL_CONTENT, estimate_tokens
from szagents.paths import kernels_dir

from .agent_loop import TOOLS, agent_loop, read_file


def _write_script(folder: Path, steps: list[dict], name: str = "s") -> Path:
    path = folder / f"{name}.json"
    path.write_text(json.dumps({"description": "test", "steps": steps}))
    return path


def test_bound_scripted_model_drives_a_langgraph_tool_loop():
    """The hello script, with tools bound, runs list -> read -> stop through a real LangGraph loop."""
    result = agent_loop(make_model("scripted:hello")).invoke({"messages": [HumanMessage("look around")]})
    replies = [m for m in result["messages"] if isinstance(m, AIMessage)]
    assert [c["name"] for m in replies for c in m.tool_calls] == ["list_files", "read_file"]
    assert [c["id"] for m in replies for c in m.tool_calls] == ["call_0_0", "call_1_0"]
    outputs = [m.content for m in result["messages"] if isinstance(m, ToolMessage)]
    assert outputs == ["kernel.cu\nREADME.md", "// contents of kernel.cu"]
    assert not replies[-1].tool_calls and len(replies) == 3


def test_resumed_run_with_fresh_model_continues_from_conversation():
    """A run interrupted after each model call and resumed with a new model instance ends like one run."""
    saver, config = InMemorySaver(), {"configurable": {"thread_id": "t"}}
    first = agent_loop(ScriptedChatModel("hello"), saver, interrupt=True)
    first.invoke({"messages": [HumanMessage("go")]}, config)
    for _ in range(10):
        state = agent_loop(ScriptedChatModel("hello"), saver, interrupt=True).invoke(None, config)
        if not state["messages"][-1].tool_calls:
            break
    calls = [c["id"] for m in state["messages"] if isinstance(m, AIMessage) for c in m.tool_calls]
    assert calls == ["call_0_0", "call_1_0"] and state["messages"][-1].response_metadata["scripted_step"] == 2


def test_position_counts_unmarked_replies_and_start_step():
    """Without replies of its own in the request, the step is start_step plus the unmarked AIMessages."""
    model = ScriptedChatModel("hello", start_step=1)
    assert model.next_step([HumanMessage("x")]) == 1
    assert model.next_step([HumanMessage("x"), AIMessage("earlier model")]) == 2
    other = AIMessage("other script", response_metadata={"script": "other", "scripted_step": 5})
    assert model.next_step([HumanMessage("x"), other]) == 1


def test_position_calls_mode_counts_calls_in_process():
    """position='calls' plays steps in call order even when every request is a fresh conversation."""
    model = ScriptedChatModel("hello", position="calls").bind_tools(TOOLS)
    names = [model.invoke("fresh").tool_calls for _ in range(3)]
    assert [c[0]["name"] if c else None for c in names] == ["list_files", "read_file", None]


def test_after_last_step_done_or_strict_error():
    """Past the last step the model says 'done' without tool calls, or raises ScriptError when strict."""
    past = [HumanMessage("x"), AIMessage("", response_metadata={"script": "hello", "scripted_step": 2})]
    reply = ScriptedChatModel("hello").invoke(past)
    assert reply.content == FINAL_CONTENT and not reply.tool_calls
    with pytest.raises(ScriptError, match="has 3 steps; step 3"):
        ScriptedChatModel("hello", strict=True).invoke(past)


def test_tool_call_to_unbound_tool_is_an_error_naming_the_step():
    """A scripted call to a tool that is not bound raises ScriptError naming script, step and bound tools."""
    with pytest.raises(ScriptError, match=r"'hello' step 0 tool call 0 \(list_files\): tool not bound"):
        make_model("scripted:hello").bind_tools([read_file]).invoke("x")


def test_usage_is_a_characters_over_four_estimate():
    """usage_metadata estimates tokens as ceil(characters / 4) of the request and of the reply."""
    reply = make_model("scripted:hello").invoke([HumanMessage("a" * 40)])
    out_chars = len(reply.content) + len("list_files") + len(json.dumps({"path": "."}))
    assert reply.usage_metadata == {"input_tokens": 10, "output_tokens": estimate_tokens("x" * out_chars),
                                    "total_tokens": 10 + estimate_tokens("x" * out_chars)}


def test_file_argument_with_replacements(tmp_path):
    """A {"$file", "replace"} argument becomes the file's text with each replacement applied once."""
    (tmp_path / "src.c").write_text("int a = 1;\nint b = 2;\n")
    step = {"tool_calls": [{"name": "write_file", "args": {
        "path": "k.c", "content": {"$file": "src.c", "replace": [["a = 1", "a = 10"], ["b", "c"]]}}}]}
    reply = ScriptedChatModel(_write_script(tmp_path, [step])).bind_tools(TOOLS).invoke("x")
    assert reply.tool_calls[0]["args"] == {"path": "k.c", "content": "int a = 10;\nint c = 2;\n"}


def test_file_argument_under_kernels_resolves_from_kernels_dir(tmp_path):
    """A $file path starting with kernels/ is read from szagents.paths.kernels_dir()."""
    header = next((kernels_dir() / "abi").glob("*.h"))
    step = {"tool_calls": [{"name": "read_file", "args": {"path": {"$file": f"kernels/abi/{header.name}"}}}]}
    reply = ScriptedChatModel(_write_script(tmp_path, [step])).invoke("x")
    assert reply.tool_calls[0]["args"]["path"] == header.read_text()


@pytest.mark.parametrize("replace,count", [([["int", "long"]], 2), ([["absent", "x"]], 0)])
def test_replacement_must_match_exactly_once(tmp_path, replace, count):
    """A replacement that matches zero or several times raises ScriptError naming step, pair and count."""
    (tmp_path / "src.c").write_text("int a;\nint b;\n")
    steps = [{"content": "first"}, {"tool_calls": [{"name": "write_file", "args": {
        "path": "k.c", "content": {"$file": "src.c", "replace": replace}}}]}]
    model = ScriptedChatModel(_write_script(tmp_path, steps, "edit"), position="calls")
    model.invoke("x")
    with pytest.raises(ScriptError, match=rf"'edit' step 1 tool call 0 \(write_file\) args.content: "
                                          rf"replace\[0\] '{replace[0][0]}' matches {count} times"):
        model.invoke("x")


def test_missing_file_argument_names_the_path(tmp_path):
    """A $file that does not exist raises ScriptError naming the step and the path looked at."""
    step = {"tool_calls": [{"name": "read_file", "args": {"path": {"$file": "nope.c"}}}]}
    with pytest.raises(ScriptError, match=r"step 0 .*'nope.c' not found"):
        ScriptedChatModel(_write_script(tmp_path, [step])).invoke("x")


def test_invalid_script_file_is_reported_with_its_path(tmp_path):
    """A script with an unknown key or bad JSON raises ScriptError naming the file."""
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"steps": [{"content": "x", "tool_call": []}]}))
    with pytest.raises(ScriptError, match="bad.json is invalid"):
        load_script(bad)
    bad.write_text("{not json")
    with pytest.raises(ScriptError, match="bad.json is invalid"):
        make_model(f"scripted:{bad}")


def test_bundled_hello_script_is_valid():
    """The shipped hello script loads, and describes itself."""
    script = load_script("hello")
    assert script.description and len(script.steps) == 3
