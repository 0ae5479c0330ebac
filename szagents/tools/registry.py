"""LangChain tools over a ToolContext: typed arguments, descriptions, errors returned as text.

Agent mistakes (bad paths, missing files, edit mismatches, bad arguments) never raise out of a
tool: they come back as an "error: ..." message, and a ToolMessage built from a tool call gets
status="error". A compile error or a failed validation is a result (status "success").
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from langchain_core.tools import BaseTool, StructuredTool, ToolException
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from szagents.backends.sandbox.scrub import scrub
from szagents.errors import HarnessError, SzAgentsError
from szagents.tools import files, kernel
from szagents.tools.context import ToolContext
from szagents.tools.formatting import clip
from szagents.tools.profiling import profile_workspace
from szagents.tools.shell import run_shell

__all__ = ["TOOL_NAMES", "make_tools", "tool_schemas"]


class _Args(BaseModel):
    """Tool arguments: a name the tool does not take is an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid")


class NoArgs(_Args):
    """No arguments."""


class PathArgs(_Args):
    path: str = Field(description="file path relative to the workspace root, e.g. 'kernel.cu'")


class ReadArgs(PathArgs):
    offset: int = Field(default=0, ge=0, description="number of lines to skip from the start (0 = first line)")
    limit: int | None = Field(default=None, ge=1, description="maximum number of lines to return (default 400)")


class WriteArgs(PathArgs):
    content: str = Field(description="the complete new content of the file")


class EditArgs(PathArgs):
    old: str = Field(description="exact text to replace; must occur exactly once in the file (no line numbers)")
    new: str = Field(description="text to put in its place")


class ShellArgs(_Args):
    command: str = Field(description="a bash command, run in the workspace folder with a time limit")


class SubmitArgs(_Args):
    action: str = Field(description="one line saying what this revision changed, e.g. 'coalesced float4 loads in encode'")


_SPECS: list[tuple[str, Callable[..., str], type[BaseModel], str]] = [
    ("list_files", files.list_files, NoArgs, "List the workspace files with their sizes; marks the target file(s)."),
    ("read_file", files.read_file, ReadArgs,
     "Read a text file of the workspace as numbered lines ('12| code'); the numbers are not part of the file. "
     "Use offset and limit to page through long files."),
    ("write_file", files.write_file, WriteArgs,
     "Create or overwrite a file in the workspace with the given content (parent folders are created)."),
    ("edit_file", files.edit_file, EditArgs,
     "Replace one exact occurrence of `old` with `new` in a file. `old` must match the file exactly, "
     "whitespace included, and be unique; add surrounding lines to make it unique."),
    ("compile", kernel.compile_workspace, NoArgs,
     "Compile the target source(s) with the backend's compiler; returns ok or the first errors as file:line."),
    ("validate", kernel.validate_workspace, NoArgs,
     "Compile, then check correctness on the task's validation suite (error bound, sizes, all outputs written); "
     "returns the verdict and a per-case table."),
    ("benchmark", kernel.benchmark_workspace, NoArgs,
     "Compile, validate, then measure compression and decompression throughput (GB/s) and ratio."),
    ("profile", profile_workspace, NoArgs,
     "Profile one compress and decompress of the benchmark input (per-kernel time and utilization) where the "
     "backend supports it; says so where it does not."),
    ("submit", kernel.submit, SubmitArgs,
     "Submit the current workspace as a revision, with a one-line summary of the change. The validator then "
     "compiles, validates and benchmarks it and reports back."),
]
_SHELL = ("shell", run_shell, ShellArgs,
          "Run a bash command in the workspace folder (time-limited, output cut to fit); use it for quick experiments.")

TOOL_NAMES = tuple(name for name, *_ in _SPECS)

_AGENT_FAULTS = (SzAgentsError, OSError, UnicodeError)


def _bind(ctx: ToolContext, func: Callable[..., str]) -> Callable[..., str]:
    """func(ctx, **args) as a tool body: output cut to size, agent faults turned into ToolException."""

    @functools.wraps(func)
    def body(**kwargs: object) -> str:
        try:
            return clip(scrub(func(ctx, **kwargs)), ctx.limits.output_chars)  # no secret reaches a model
        except HarnessError:
            raise  # the harness itself is broken: a human must look, the run should stop
        except _AGENT_FAULTS as exc:
            raise ToolException(f"error: {exc}") from None

    return body


def _tool_error(limit: int) -> Callable[[ToolException], str]:
    def handle(exc: ToolException) -> str:
        return clip(scrub(str(exc)), limit)

    return handle


def _validation_error(schema: type[BaseModel]) -> Callable[[ValidationError], str]:
    def handle(exc: ValidationError) -> str:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: "
                             f"{'unknown argument' if e['type'] == 'extra_forbidden' else e['msg']}" for e in exc.errors())
        fields = ", ".join(schema.model_fields)
        takes = f"this tool takes: {fields}" if fields else "this tool takes no arguments"
        return f"error: invalid arguments ({problems}); {takes}"

    return handle


class _StrictTool(StructuredTool):
    """A StructuredTool whose schema is checked even when it takes no arguments (LangChain skips it then,
    so compile({"flags": "-O0"}) would run and silently drop the flag)."""

    def _to_args_and_kwargs(self, tool_input: str | dict, tool_call_id: str | None) -> tuple[tuple, dict]:
        if isinstance(tool_input, dict) and tool_input and not self.args_schema.model_fields:
            self.args_schema.model_validate(tool_input)  # a ValidationError goes to handle_validation_error
        return super()._to_args_and_kwargs(tool_input, tool_call_id)


def tool_schemas(*, shell: bool = False) -> list[tuple[str, str, dict]]:
    """(name, description, JSON schema of the arguments) of every tool make_tools gives, without a context."""
    specs = [*_SPECS, _SHELL] if shell else _SPECS
    return [(name, description, schema.model_json_schema()) for name, _, schema, description in specs]


def make_tools(ctx: ToolContext, *, shell: bool = False) -> list[BaseTool]:
    """The agent's tools bound to ctx; the shell tool only when shell is True."""
    specs = [*_SPECS, _SHELL] if shell else _SPECS
    return [
        _StrictTool(
            name=name, description=description, args_schema=schema, func=_bind(ctx, func),
            handle_tool_error=_tool_error(ctx.limits.output_chars),
            handle_validation_error=_validation_error(schema),
        )
        for name, func, schema, description in specs
    ]
