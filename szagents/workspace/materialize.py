"""Lay out a task's starting workspace: the starting source, the ABI header and a README."""

from __future__ import annotations

import shutil
from pathlib import Path

import jinja2

from szagents.backends.registry import requirements
from szagents.paths import kernels_dir
from szagents.tasks.task import Task
from szagents.workspace.guidance import template_loader
from szagents.workspace.layout import starting_file, target_files, task_context
from szagents.workspace.workspace import Workspace

__all__ = ["render_readme", "materialize"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"


def render_readme(task: Task) -> str:
    """The workspace README.md of task: goal, files, ABI, rules, budgets, how to submit."""
    env = jinja2.Environment(
        loader=template_loader(_TEMPLATES), undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True, autoescape=False,
    )
    return env.get_template("README.md.j2").render(**task_context(task))


def materialize(task: Task, run_dir: Path) -> Workspace:
    """Create run_dir/workspace with the starting source, sz_abi.h and a README.md for the agent.

    An existing workspace keeps its files (a resumed run continues from them); the ABI header and
    the README are rewritten, and the starting source is copied only where neither it nor a target
    file exists yet.
    """
    root = Path(run_dir) / "workspace"
    root.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(kernels_dir() / "abi" / "sz_abi.h", root / "sz_abi.h")
    (root / "README.md").write_text(render_readme(task), encoding="utf-8")
    fresh = not any((root / name).exists() for name in {starting_file(task), *target_files(task)})
    if fresh:
        shutil.copyfile(task.kernel.source_path(task.source), root / starting_file(task))
    for material in requirements(task.target).material:  # the backend's conventions, skeletons to start from
        if fresh or not material.fresh_only:
            shutil.copyfile(material.source, root / material.name)
    return Workspace(root)
