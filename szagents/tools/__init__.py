"""LangChain tools the agents call: files, compile, validate, benchmark, profile, shell, submit."""

from szagents.tools.context import EventSink, NullSink, ToolContext, ToolLimits
from szagents.tools.events import benchmark_event, compile_event, validation_event
from szagents.tools.formatting import clip, format_benchmark, format_compile, format_validation
from szagents.tools.kernel import SUBMIT_TOOL
from szagents.tools.profiling import BUILTIN_PROFILERS, NcuProfiler, Profiler, find_profiler
from szagents.tools.registry import TOOL_NAMES, make_tools

__all__ = [
    "ToolContext",
    "ToolLimits",
    "EventSink",
    "NullSink",
    "make_tools",
    "TOOL_NAMES",
    "SUBMIT_TOOL",
    "Profiler",
    "NcuProfiler",
    "BUILTIN_PROFILERS",
    "find_profiler",
    "compile_event",
    "validation_event",
    "benchmark_event",
    "clip",
    "format_compile",
    "format_validation",
    "format_benchmark",
]
