"""backends/ has no import circles, and what runs in the sandbox never imports the trusted side."""

from __future__ import annotations

import ast
from pathlib import Path

BACKENDS = Path(__file__).resolve().parents[2] / "szagents" / "backends"
CHILD_MAY_IMPORT = ("szagents.backends.child", "numpy", "cupy", "cupy_backends", "cupti", "cuda")


def _module(path: Path) -> str:
    parts = path.relative_to(BACKENDS.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module path imports, at any depth (function-level imports count too), `from X import Y` as X and X.Y."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _graph() -> dict[str, set[str]]:
    modules = {_module(p): p for p in BACKENDS.rglob("*.py")}
    return {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_circles_in_backends():
    """No module of backends/ reaches itself through its imports (a package __init__ counts as a module)."""
    graph = {name: {m for m in deps if not name.startswith(m + ".")} for name, deps in _graph().items()}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_cycle_finder_finds_a_cycle():
    """The finder above reports a planted circle (so an empty answer means something)."""
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_the_sandboxed_side_imports_only_itself_numpy_and_cuda():
    """child/ runs on the sandbox's restricted path: standard library, numpy, CuPy/cupti, and child/ only."""
    offenders = []
    for path in (BACKENDS / "child").rglob("*.py"):
        for name in _imports(path):
            top = name.split(".")[0]
            if name.startswith("szagents") or top in {"pydantic", "structlog"} or top.startswith("szagents"):
                if not any(name == a or name.startswith(a + ".") for a in CHILD_MAY_IMPORT):
                    offenders.append(f"{path.relative_to(BACKENDS)} imports {name}")
    assert not offenders, offenders
