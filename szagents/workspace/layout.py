"""File conventions of a workspace: what the agent must produce and what gets compiled."""

from __future__ import annotations

from pathlib import Path

from szagents.errors import UnknownSpecError
from szagents.tasks.task import Mode, Task
from szagents.workspace.workspace import Workspace

__all__ = ["TARGET_FILES", "HEADER_SUFFIXES", "target_files", "starting_file", "target_sources", "TARGET_NAMES", "KERNEL_TITLES", "task_context"]

# What the agent must write, per target backend (the first file is the main translation unit).
TARGET_FILES: dict[str, tuple[str, ...]] = {
    "cpu": ("kernel.c",),
    "cuda": ("kernel.cu",),
    "cerebras": ("layout.csl", "pe.csl"),
}
HEADER_SUFFIXES = (".h", ".cuh", ".hpp")
KERNEL_TITLES = {"szp": "SZp", "szx": "SZx"}
TARGET_NAMES = {"cpu": "C on the CPU, OpenMP allowed", "cuda": "CUDA", "cerebras": "CSL on the Cerebras WSE"}


def target_files(task: Task) -> tuple[str, ...]:
    """The file names the agent must produce for task's target backend."""
    if task.target not in TARGET_FILES:
        raise UnknownSpecError(
            f"no target-file convention for backend {task.target!r}; known: {', '.join(sorted(TARGET_FILES))}"
        )
    return TARGET_FILES[task.target]


def starting_file(task: Task) -> str:
    """Workspace name of the starting source: the target file when optimizing, else its own name."""
    source = task.kernel.source_path(task.source)
    targets = target_files(task)
    if task.mode is Mode.optimize:
        same_kind = [t for t in targets if Path(t).suffix == source.suffix]
        if same_kind:
            return same_kind[0]
    return f"source_{source.name}" if source.name in targets else source.name


# Extra modules a target may split its program into (a CSL layout can import further .csl files).
MODULE_SUFFIXES: dict[str, tuple[str, ...]] = {"cerebras": (".csl",)}


def target_sources(task: Task, workspace: Workspace) -> list[Path]:
    """What to compile: the target files that exist, then every header (and extra module)."""
    targets = [workspace.root / name for name in target_files(task) if workspace.exists(name)]
    extra = HEADER_SUFFIXES + MODULE_SUFFIXES.get(task.target, ())
    others = [workspace.root / rel for rel in workspace.list_files()
              if rel.endswith(extra) and workspace.root / rel not in targets]
    return targets + others


def task_context(task: Task) -> dict[str, object]:
    """The facts about task that the README and the prompts are rendered from."""
    kernel = task.kernel
    _, variant = kernel.variant(task.variant)
    return {
        "task_id": task.id, "kernel": kernel.name, "kernel_title": KERNEL_TITLES.get(kernel.name, kernel.name), "codec": kernel.codec, "description": kernel.description,
        "dtype": kernel.dtype, "mode": task.mode.value, "target": task.target,
        "target_name": TARGET_NAMES.get(task.target, task.target), "variant": task.variant,
        "defines": dict(variant.defines), "source_name": kernel.source_path(task.source).name,
        "start_file": starting_file(task), "targets": list(target_files(task)),
        "validation": kernel.validation, "benchmark": kernel.benchmark, "budgets": task.budgets,
        "format_check": kernel.validation.format_check,
    }
