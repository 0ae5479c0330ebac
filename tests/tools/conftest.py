"""A cpu tool context over a materialized szx task, with a small suite and a list sink."""

from __future__ import annotations

from pathlib import Path

import pytest

from szagents.backends.protocol import BenchSettings
from szagents.backends.registry import get_backend
from szagents.tasks.catalog import get_task
from szagents.tasks.evaluate import build_problems, kernel_spec
from szagents.tasks.task import Suite
from szagents.tools import ToolContext, make_tools
from szagents.workspace import materialize

SMALL = Suite(datasets=("climate:90x180",), relative_bounds=(1e-3,))


class ListSink:
    """Collects emitted events."""

    def __init__(self) -> None:
        self.events: list = []

    def emit(self, event) -> None:
        self.events.append(event)


def make_context(task_id: str, run_dir: Path, backend: str = "cpu") -> ToolContext:
    task = get_task(task_id)
    problems = build_problems(SMALL, task.kernel.dtype)
    return ToolContext(
        workspace=materialize(task, run_dir), backend=get_backend(backend), task=task,
        spec=kernel_spec(task.kernel, task.variant), validation_problems=problems, benchmark_problems=problems,
        sink=ListSink(), run_id="test-run", role=lambda: "optimizer",
        bench_settings=BenchSettings(warmup=1, min_reps=3, max_reps=20, min_seconds=0.05),
    )


@pytest.fixture
def cpu_ctx(tmp_path) -> ToolContext:
    """szx-optimize-cpu: kernel.c starts as a copy of kernels/szx/serial.c."""
    if not get_backend("cpu").availability().available:
        pytest.skip("no C compiler")
    return make_context("szx-optimize-cpu", tmp_path)


@pytest.fixture
def tools(cpu_ctx):
    """The tools of cpu_ctx by name."""
    return {t.name: t for t in make_tools(cpu_ctx)}
