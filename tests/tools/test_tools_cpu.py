"""The agent tools on the real cpu backend: results as text, agent mistakes as error strings."""

from __future__ import annotations

import re

import pytest

from szagents.tools import TOOL_NAMES, ToolContext, make_tools
from tests.tools.conftest import make_context


def call(tool, **args):
    """Invoke as a model would (a tool call); returns the ToolMessage."""
    return tool.invoke({"type": "tool_call", "id": "call-1", "name": tool.name, "args": args})


def test_tool_set_and_shell_off_by_default(cpu_ctx):
    """make_tools gives the standard tools, shell only on request."""
    assert tuple(t.name for t in make_tools(cpu_ctx)) == TOOL_NAMES
    assert "shell" not in TOOL_NAMES
    assert [t.name for t in make_tools(cpu_ctx, shell=True)][-1] == "shell"


def test_correct_kernel_validates_and_emits_events(tools, cpu_ctx):
    """The serial SZx copy validates: verdict ok, a case table, no failure line, compile + validation events by the tool."""
    out = tools["validate"].invoke({})
    assert "compile: ok" in out and "validation: ok (1/1 cases passed)" in out
    assert "failed" not in out and "SIGKILL" not in out  # the harness reaps its child with a signal even on success
    assert "climate:90x180@rel=0.001" in out
    events = cpu_ctx.sink.events
    assert [e.event for e in events] == ["compile", "validation"]
    assert all(e.by == "tool" and e.run_id == "test-run" for e in events)
    assert events[1].verdict == "ok" and events[1].cases[0].verdict == "ok"


@pytest.mark.slow
def test_benchmark_reports_throughput(tools, cpu_ctx):
    """benchmark validates, then reports GB/s and ratio; three events."""
    out = tools["benchmark"].invoke({})
    assert "benchmark: ok" in out and "comp GB/s" in out
    row = next(line for line in out.splitlines() if line.startswith("climate:90x180"))
    ratio, comp, decomp = (float(x) for x in row.split()[1:4])
    assert ratio > 1 and comp > 0 and decomp > 0
    assert [e.event for e in cpu_ctx.sink.events] == ["compile", "validation", "benchmark"]


def test_broken_edit_gives_compile_errors_with_line_numbers(tools, cpu_ctx):
    """A syntax error comes back as text naming kernel.c:line, not as an exception or an absolute path."""
    edited = tools["edit_file"].invoke({"path": "kernel.c", "old": "#define BLOCK 128", "new": "#define BLOCK 128\nint broken = ;"})
    line = int(re.search(r"at line (\d+)", edited).group(1)) + 1
    out = call(tools["compile"])
    assert out.status == "success"  # a compile error is a result, not a tool failure
    assert f"kernel.c:{line}:" in out.content and "error" in out.content
    assert str(cpu_ctx.workspace.root) not in out.content
    assert cpu_ctx.sink.events[-1].event == "compile" and cpu_ctx.sink.events[-1].ok is False
    assert "compile: failed" in tools["validate"].invoke({})


@pytest.mark.slow
def test_wrong_kernel_fails_validation_with_detail(tools):
    """A decompressor that writes zeros fails validation with a verdict the agent can read."""
    tools["write_file"].invoke({"path": "kernel.c", "content": _zero_decompressor()})
    out = tools["validate"].invoke({})
    assert "validation: ok" not in out and "verdict" in out


def _zero_decompressor() -> str:
    return (
        '#include "sz_abi.h"\n#include <string.h>\n'
        "int sz_compress(const float *in, size_t n, float eb, uint8_t *out, size_t cap, size_t *ob, void *s)\n"
        "{ (void)in; (void)eb; (void)s; if (cap < 4) return SZ_ERR_CAPACITY; memset(out, 0, 4); *ob = 4; (void)n; return 0; }\n"
        "int sz_decompress(const uint8_t *in, size_t nb, size_t n, float eb, float *out, void *s)\n"
        "{ (void)in; (void)nb; (void)eb; (void)s; memset(out, 0, n * sizeof(float)); return 0; }\n"
    )


@pytest.mark.parametrize(("tool", "args", "said"), [
    ("compile", {"flags": "-O0"}, "error: invalid arguments (flags: unknown argument); this tool takes no arguments"),
    ("read_file", {"path": "kernel.c", "lines": 5},
     "error: invalid arguments (lines: unknown argument); this tool takes: path, offset, limit"),
])
def test_unknown_arguments_are_refused_not_ignored(tools, cpu_ctx, tool, args, said):
    """An argument the tool does not take is an error naming it (nothing runs), not silently dropped."""
    message = call(tools[tool], **args)
    assert message.status == "error" and message.content == said
    assert cpu_ctx.sink.events == []  # nothing was compiled


@pytest.mark.parametrize("path", ["../etc/passwd", "/etc/passwd", "missing.c", ".harness/x"])
def test_bad_paths_return_error_strings(tools, path):
    """No exception: the model gets an 'error: ...' message and the ToolMessage is marked error."""
    assert tools["read_file"].invoke({"path": path}).startswith("error: ")
    message = call(tools["write_file"], path=path if path != "missing.c" else "../x", content="x")
    assert message.status == "error" and message.content.startswith("error: ")


def test_edit_mismatch_and_bad_arguments_return_error_strings(tools):
    """An edit that does not match, and a call missing an argument, both come back as text."""
    assert "not found" in tools["edit_file"].invoke({"path": "kernel.c", "old": "no such text", "new": "x"})
    message = call(tools["read_file"], pth="kernel.c")
    assert message.status == "error" and "path" in message.content and "this tool takes" in message.content


def test_files_round_trip_and_paging(tools):
    """write, list, read with offset/limit; numbered lines and a continuation hint."""
    tools["write_file"].invoke({"path": "notes/plan.txt", "content": "".join(f"line {i}\n" for i in range(1, 11))})
    assert "notes/plan.txt" in tools["list_files"].invoke({})
    page = tools["read_file"].invoke({"path": "notes/plan.txt", "offset": 2, "limit": 3})
    assert "lines 3-5 of 10" in page and "\n3| line 3\n" in page and "offset=5" in page and "line 6" not in page


def test_outputs_are_capped(tools, cpu_ctx):
    """A long file is shown in pieces no larger than the output cap."""
    tools["write_file"].invoke({"path": "long.txt", "content": "x" * 300 + "\n" * 1 + ("y" * 200 + "\n") * 100})
    out = tools["read_file"].invoke({"path": "long.txt", "limit": 100})
    assert len(out) <= cpu_ctx.limits.output_chars and "with offset=" in out
    shown = re.search(r"lines 1-(\d+) of 101", out)
    assert shown and int(shown.group(1)) < 101 and out.rstrip().endswith(f"{shown.group(1)}| " + "y" * 200)


def test_missing_target_is_reported_before_compiling(tmp_path):
    """A translation task without kernel.cu yet: compile and submit say what to write."""
    ctx = make_context("szx-translate-cuda", tmp_path)
    tools = {t.name: t for t in make_tools(ctx)}
    assert "kernel.cu does not exist yet" in tools["compile"].invoke({})
    assert call(tools["submit"], action="first try").status == "error"


def test_submit_confirms_without_harness_work(tools, cpu_ctx):
    """submit returns a confirmation with the one-line action; an empty action is an error."""
    out = tools["submit"].invoke({"action": "  parallelize blocks with OpenMP\nsecond line"})
    assert "submitted (optimizer): parallelize blocks with OpenMP" in out and "second line" not in out
    assert cpu_ctx.sink.events == []
    assert call(tools["submit"], action="   ").status == "error"


def test_profile_is_unsupported_on_cpu(tools):
    """profile says clearly that the cpu backend has no profiler."""
    assert "not supported on the cpu backend" in tools["profile"].invoke({})


def test_context_for_task_builds_the_suites(cpu_ctx):
    """ToolContext.for_task fills spec and problems from the task."""
    ctx = ToolContext.for_task(cpu_ctx.task, cpu_ctx.workspace, cpu_ctx.backend)
    assert ctx.spec.codec == "szx" and len(ctx.validation_problems) == 15 and ctx.benchmark_problems
