"""File conventions of a workspace: what the agent must produce and what gets compiled."""

from __future__ import annotations

from pathlib import Path

from szagents.backends.registry import requirements
from szagents.tasks.task import Mode, Task
from szagents.workspace.guidance import guidance_context
from szagents.workspace.workspace import Workspace

__all__ = ["HEADER_SUFFIXES", "target_files", "starting_file", "target_sources", "KERNEL_TITLES", "task_context"]

HEADER_SUFFIXES = (".h", ".cuh", ".hpp")
KERNEL_TITLES = {"szp": "SZp", "szx": "SZx"}


def target_files(task: Task) -> tuple[str, ...]:
    """The file names the agent must produce for task's target backend (the backend says which)."""
    return requirements(task.target).target_files


def starting_file(task: Task) -> str:
    """Workspace name of the starting source: the target file when optimizing, else its own name."""
    source = task.kernel.source_path(task.source)
    targets = target_files(task)
    if task.mode is Mode.optimize:
        same_kind = [t for t in targets if Path(t).suffix == source.suffix]
        if same_kind:
            return same_kind[0]
    return f"source_{source.name}" if source.name in targets else source.name


def target_sources(task: Task, workspace: Workspace) -> list[Path]:
    """What to compile: the target files that exist, then every header (and extra module)."""
    targets = [workspace.root / name for name in target_files(task) if workspace.exists(name)]
    extra = HEADER_SUFFIXES + requirements(task.target).module_suffixes  # further modules (a CSL layout's imports)
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
        "target_name": requirements(task.target).description, "variant": task.variant,
        "defines": dict(variant.defines), "source_name": kernel.source_path(task.source).name,
        "start_file": starting_file(task), "targets": list(target_files(task)),
        "validation": kernel.validation, "benchmark": kernel.benchmark, "budgets": task.budgets,
        "format_check": kernel.validation.format_check, "guidance": guidance_context(requirements(task.target).guidance),
    }
