"""The house rules of szagents/, read from the code: imports point down the layers, no two modules import each other
(directly or round a longer loop), analysis reads only the logs, codecs and backends need no agent stack, and no
module is over 300 lines.

Every import counts: at the top of a module, inside a function (a lazy import is still a dependency) and under
TYPE_CHECKING. What this cannot see: a module named in a string and loaded by importlib (the model and backend
registries, tasks/slots.py's schemes) -- those are registries by design, checked by their own tests.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "szagents"

LAYERS = (
    ("errors", "paths", "tiers", "lazy"),  # leaves every layer may use
    ("szagents",),  # the package's face: __version__ and the errors
    ("codecs",),  # reference SZp / SZx: the executable spec of both formats
    ("backends",),  # compile and run untrusted kernels; verdicts
    ("tasks", "trajectory"),  # what to do; what happened (typed events, checkpoints)
    ("workspace", "models", "analysis"),  # a run's files; chat models, prices, rate limits; reports from logs
    ("tools", "prompts", "interop"),  # what the agents call; what they are told; other search loops' evaluators
    ("roles", "mcp"),  # graph nodes and teams; the tools served over MCP
    ("strategies",),  # how revisions are searched: best-of-n, evolve (graphs of the role nodes)
    ("run",),  # one run: config -> open_run() -> graph
    ("studies", "external"),  # grids x repeats; runs whose agent is outside
    ("cli",),  # the command line
)
"""Bottom up. A package imports only packages on lower rows; packages on one row never import each other."""

ANALYSIS_READS = {"analysis", "trajectory", "tiers", "errors"}
"""Analysis reads only run folders' logs: it never imports the machinery that wrote them."""

AGENT_STACK = ("langgraph", "langchain", "langchain_core", "structlog", "typer", "rich")
"""What codecs and backends never import: they must run on a GPU box that has only CUDA, CuPy and numpy."""

MAX_LINES = 300
WAIVED_LINES: set[str] = set()
"""Modules allowed over MAX_LINES (none)."""
WAIVED_CYCLES: set[frozenset[str]] = set()
"""Import cycles allowed (none)."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imported(name: str, path: Path) -> Iterator[str]:
    """Every szagents module name path imports, anywhere in it (relative imports resolved)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            for alias in node.names:  # `from szagents.x import y` imports the module x.y when there is one
                yield f"{base}.{alias.name}" if f"{base}.{alias.name}" in _modules() else base


@cache
def _graph() -> dict[str, set[str]]:
    """module -> the szagents modules it imports."""
    modules = _modules()
    return {name: {t for t in _imported(name, path) if t in modules and t != name} for name, path in modules.items()}


def _package(module: str) -> str:
    """The layer key of a module: its top-level package or leaf module under szagents, or 'szagents' for the face."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "szagents"


def _row(package: str) -> int:
    return next(i for i, row in enumerate(LAYERS) if package in row)


def test_every_package_has_its_row():
    """A new package or leaf module must be placed in LAYERS (and so in docs/architecture.md) before it is used."""
    placed = {p for row in LAYERS for p in row}
    assert {_package(m) for m in _modules()} - placed == set()
    assert placed - {_package(m) for m in _modules()} == set(), "LAYERS names a package that is gone"


def test_imports_point_down_the_layers():
    """Every import of another package reaches a lower row: none runs back up, none crosses a row sideways."""
    offenders = [f"{m} imports {t}" for m, targets in _graph().items() for t in sorted(targets)
                 if _package(m) != _package(t) and _row(_package(t)) >= _row(_package(m))]
    assert not offenders, offenders


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected sets of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                members = set()
                while not members or members.isdisjoint({node}):
                    members.add(stack.pop())
                if len(members) > 1:
                    found.append(frozenset(members))
    return found


def test_the_cycle_finder_finds_a_loop():
    """The check below is real: a three-module loop and a pair are found; a chain is not."""
    loops = _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"e"}, "e": {"d"}, "f": {"a"}})
    assert sorted(sorted(c) for c in loops) == [["a", "b", "c"], ["d", "e"]]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_no_two_modules_import_each_other():
    """No import cycle between modules, directly or round a longer loop, counting lazy imports too."""
    cycles = [sorted(c) for c in _cycles(_graph()) if c not in WAIVED_CYCLES]
    assert not cycles, cycles
    assert not [sorted(c) for c in WAIVED_CYCLES if c not in _cycles(_graph())], "a waived cycle is gone: unwaive it"


def test_analysis_reads_only_the_logs():
    """Every szagents import in analysis/ stays within analysis, trajectory, tiers and errors."""
    offenders = [f"{m} imports {t}" for m, targets in _graph().items() if _package(m) == "analysis"
                 for t in sorted(targets) if _package(t) not in ANALYSIS_READS]
    assert not offenders, offenders


def test_codecs_and_backends_need_no_agent_stack():
    """codecs/ and backends/ import none of LangGraph, LangChain, structlog, Typer or Rich."""
    offenders = [f"{name} imports {target}" for name, path in _modules().items()
                 if _package(name) in ("codecs", "backends")
                 for target in _imported(name, path) if target.split(".")[0] in AGENT_STACK]
    assert not offenders, offenders


def test_no_module_is_over_300_lines():
    """Every module of szagents/ fits in MAX_LINES lines (a longer one is split along its meaning)."""
    sizes = {str(path.relative_to(PACKAGE)): len(path.read_text().splitlines()) for path in _modules().values()}
    over = {name: lines for name, lines in sizes.items() if lines > MAX_LINES and name not in WAIVED_LINES}
    assert not over, over
    assert not [n for n in WAIVED_LINES if sizes.get(n, 0) <= MAX_LINES], "a waived module fits now: unwaive it"
