"""Dependencies point one way: codecs and backends never import agents, graphs, tools or LangGraph."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "szagents"
ALLOWED = {
    "codecs": {"szagents.codecs", "szagents.errors", "szagents.paths"},
    "backends": {"szagents.backends", "szagents.codecs", "szagents.errors", "szagents.paths"},
}
FORBIDDEN_THIRD_PARTY = ("langgraph", "langchain", "structlog", "typer", "rich")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_codecs_and_backends_import_only_lower_layers():
    """Every import of a szagents module from codecs/ or backends/ stays within the allowed layers."""
    offenders = []
    for layer, allowed in ALLOWED.items():
        for path in (PACKAGE / layer).rglob("*.py"):
            for name in _imports(path):
                internal = name.startswith("szagents")
                if internal and not any(name == a or name.startswith(a + ".") for a in allowed):
                    offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
                if name.split(".")[0] in FORBIDDEN_THIRD_PARTY:
                    offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert not offenders, offenders
