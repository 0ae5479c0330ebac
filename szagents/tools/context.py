"""What the agent tools act on: the workspace, the backend, the task's problems, the event sink."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from szagents.backends.protocol import Backend, BenchSettings, KernelSpec, Problem
from szagents.backends.sandbox import Limits
from szagents.tasks.evaluate import build_problems, kernel_spec
from szagents.tasks.task import Task
from szagents.workspace.layout import target_sources
from szagents.workspace.workspace import Workspace

__all__ = ["EventSink", "NullSink", "ToolLimits", "ToolContext"]

_GIB = 1 << 30


class EventSink(Protocol):
    """Anything with emit(event): the trajectory writer, a list collector, a null sink."""

    def emit(self, event: Any) -> Any: ...


class NullSink:
    """Discards events (for tools used outside a recorded run)."""

    def emit(self, event: Any) -> None:
        """Do nothing."""


class ToolLimits(BaseModel):
    """Sizes and time limits of tool outputs and tool-run processes."""

    model_config = ConfigDict(frozen=True)

    output_chars: int = 6000  # every tool answer is cut to this, with a marker
    log_chars: int = 4000  # compiler diagnostics kept (first errors first)
    read_lines: int = 400  # default lines per read_file call
    shell: Limits = Limits(wall_seconds=30, cpu_seconds=60, address_space_bytes=8 * _GIB,
                           file_size_bytes=64 << 20, drop_privileges=False)
    profile: Limits = Limits(wall_seconds=300, cpu_seconds=None, address_space_bytes=None, drop_privileges=False)


def _default_role() -> str:
    return "agent"


@dataclass
class ToolContext:
    """Run-scoped handles the tools use; the role provider names who is calling right now."""

    workspace: Workspace
    backend: Backend
    task: Task
    spec: KernelSpec
    validation_problems: Sequence[Problem]
    benchmark_problems: Sequence[Problem] = ()
    sink: EventSink = field(default_factory=NullSink)
    run_id: str = "local"
    role: Callable[[], str] = _default_role
    limits: ToolLimits = field(default_factory=ToolLimits)
    bench_settings: BenchSettings | None = None

    @classmethod
    def for_task(
        cls, task: Task, workspace: Workspace, backend: Backend, *, sink: EventSink | None = None,
        run_id: str = "local", role: Callable[[], str] | None = None, limits: ToolLimits | None = None,
        bench_settings: BenchSettings | None = None,
    ) -> ToolContext:
        """A context with the task's spec and its validation and benchmark suites built."""
        kernel = task.kernel
        return cls(
            workspace=workspace, backend=backend, task=task,
            spec=kernel_spec(kernel, task.variant, kernel.validation.format_check),
            validation_problems=build_problems(kernel.validation, kernel.dtype),
            benchmark_problems=build_problems(kernel.benchmark, kernel.dtype),
            sink=sink or NullSink(), run_id=run_id, role=role or _default_role,
            limits=limits or ToolLimits(), bench_settings=bench_settings,
        )

    @property
    def workdir(self) -> Path:
        """Where compiles and harness runs happen (the harness stages into its hidden .harness/)."""
        return self.workspace.root

    def sources(self) -> list[Path]:
        """The workspace files to compile (target files and headers)."""
        return target_sources(self.task, self.workspace)
