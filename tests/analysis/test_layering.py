"""Analysis reads trajectory files only: it never imports graphs, roles, tools, backends, models or sweeps."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "szagents"
ALLOWED = ("szagents.analysis", "szagents.trajectory", "szagents.errors")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return names | {node.module for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}


def test_analysis_imports_only_trajectory_and_errors():
    """Every szagents import in szagents/analysis stays within analysis, trajectory and errors."""
    offenders = [f"{path.name} imports {name}" for path in (PACKAGE / "analysis").rglob("*.py")
                 for name in _imports(path)
                 if name.startswith("szagents") and not any(name == a or name.startswith(a + ".") for a in ALLOWED)]
    assert not offenders, offenders
