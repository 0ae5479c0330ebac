"""Every task every kernel folder offers, addressable by id."""

from __future__ import annotations

from pathlib import Path

from szagents.errors import UnknownSpecError
from szagents.tasks.task import KernelInfo, Task, kernel_names, load_kernel

__all__ = ["kernel_tasks", "load_tasks", "get_task"]


def kernel_tasks(kernel: KernelInfo) -> list[Task]:
    """The tasks of one kernel; ids are kernel-mode-target[-variant]."""
    tasks = []
    for entry in kernel.tasks:
        variant, _ = kernel.variant(entry.variant)
        suffix = f"-{entry.variant}" if entry.variant else ""
        integrity = entry.integrity or kernel.integrity
        own = kernel  # a task that declares strict format on its own gets a kernel whose validation checks it
        if integrity.format == "strict" and not kernel.validation.format_check:
            own = kernel.model_copy(update={"validation": kernel.validation.model_copy(update={"format_check": True})})
        tasks.append(
            Task(
                id=f"{kernel.name}-{entry.mode.value}-{entry.target}{suffix}",
                kernel=own, mode=entry.mode, target=entry.target, source=entry.source,
                variant=variant, budgets=entry.budgets or kernel.budgets, integrity=integrity,
            )
        )
    return tasks


def load_tasks(root: Path | None = None) -> list[Task]:
    """All tasks of all kernels under root (default: the installed kernels/)."""
    return [t for name in kernel_names(root) for t in kernel_tasks(load_kernel(name, root))]


def get_task(task_id: str, root: Path | None = None) -> Task:
    """The task with this id."""
    tasks = {t.id: t for t in load_tasks(root)}
    if task_id not in tasks:
        raise UnknownSpecError(f"unknown task {task_id!r}; known tasks: {', '.join(sorted(tasks))}")
    return tasks[task_id]
