"""Nothing outside szagents/backends/ names a backend: a backend says what it needs through the protocol.

Read from the code with ast, so docstrings, comments and the CLI's help texts (which may name the
built-in backends to a user) are not code. Every other string and identifier of szagents/ outside
backends/ is checked for the names cpu, cuda and cerebras, as a word of its own or as part of a
name (`_on_cuda`, `CEREBRAS`, `f"cuda{i}"`). Task ids such as "szx-optimize-cpu" are data (the
kernels' task.toml files), so a string that is exactly a task id passes.

The Jinja templates of szagents/ outside backends/ (the prompts, the workspace README) are checked
too, prose included and in any case ('CUDA', `cudaStream_t`): what agents are told about one
backend is that backend's own text, which it names in its Requirements.guidance.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from szagents.tasks.catalog import load_tasks

PACKAGE = Path(__file__).resolve().parent.parent / "szagents"
NAMES = frozenset({"cpu", "cuda", "cerebras"})

PROCESSOR_WORDS = {
    "cpu_count": "os.cpu_count(): the host's cores, not the cpu backend",
    "cpu_seconds": "the sandbox's RLIMIT_CPU (Limits.cpu_seconds), not the cpu backend",
}
"""Identifiers whose 'cpu' is the processor."""

ALLOWED = {
    ("tools/_ncu_driver.py", "cuda"): "CuPy's own namespace (cp.cuda.Stream) in the child the ncu profiler runs",
}
"""(module under szagents/, identifier) pairs that name something else spelled like a backend."""


def _words(identifier: str) -> set[str]:
    """The lower-case words of an identifier: `_on_cuda` -> {on, cuda}; `CudaBackend` -> {cuda, backend}."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", identifier)
    return {w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w}


def _string_words(text: str) -> set[str]:
    """The lower-case words of a string (a backend spec is lower case; 'CUDA' or 'CPU' in prose is the hardware)."""
    return set(re.split(r"[^a-z0-9]+", text))


def _prose(tree: ast.AST) -> set[int]:
    """ids of the string nodes that are docstrings (of modules, classes, functions, attributes) or help= texts."""
    found: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body:
            statements = [body[0]] + [b for a, b in zip(body, body[1:]) if isinstance(a, (ast.Assign, ast.AnnAssign))]
            found |= {id(s.value) for s in statements
                      if isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str)}
        if isinstance(node, ast.keyword) and node.arg == "help":
            found |= {id(part) for part in ast.walk(node.value)}
    return found


def _identifiers(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.arg):
        return [node.arg]
    if isinstance(node, ast.keyword) and node.arg:
        return [node.arg]
    if isinstance(node, ast.alias):
        return [node.name, node.asname or ""]
    return []


@cache
def _task_ids() -> frozenset[str]:
    return frozenset(task.id for task in load_tasks())


def _hits(tree: ast.AST, module: str) -> Iterator[tuple[int, int, str]]:
    prose = _prose(tree)
    for node in ast.walk(tree):
        where = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
            if _string_words(node.value) & NAMES and node.value not in _task_ids():
                yield (*where, f"string {node.value[:60]!r}")
        for name in _identifiers(node):
            if _words(name) & NAMES and name not in PROCESSOR_WORDS and (module, name) not in ALLOWED:
                yield (*where, f"identifier {name}")


def backend_names_in(source: str, module: str = "") -> list[str]:
    """'line: what' for each backend name in source's code (not its docstrings, comments or help texts), in order."""
    return [f"{line}: {what}" for line, _, what in sorted(_hits(ast.parse(source), module))]


def test_the_check_finds_backend_names_in_code_and_not_in_prose():
    """The check is real: names in code are found, whatever their spelling; docstrings, comments, help and task ids
    are not."""
    code = ('def _on_cuda(job):\n    return "cuda" in job.task\n'
            'CEREBRAS = 1\nkey = f"cuda{visible}"\nroles = {"cpu": 1}\n')
    assert [hit.split(": ", 1)[1] for hit in backend_names_in(code)] == [
        "identifier _on_cuda", "string 'cuda'", "identifier CEREBRAS", "string 'cuda'", "string 'cpu'"]
    prose = ('"""Runs on cpu, cuda or cerebras."""\n# the cuda backend\n'
             'def f(x):\n    """On cuda."""\n    return option(help="cpu, cuda or cerebras")\n'
             'DEMO = "szx-optimize-cpu"\nlimit = Limits(cpu_seconds=60, cores=os.cpu_count())\n')
    assert list(backend_names_in(prose)) == []


def test_nothing_outside_backends_names_a_backend():
    """No module of szagents/ outside backends/ names cpu, cuda or cerebras in its code."""
    offenders = [f"{path.relative_to(PACKAGE)}:{hit}"
                 for path in sorted(PACKAGE.rglob("*.py")) if path.relative_to(PACKAGE).parts[0] != "backends"
                 for hit in backend_names_in(path.read_text(), path.relative_to(PACKAGE).as_posix())]
    assert not offenders, "\n".join(offenders)


def test_every_exception_is_still_needed():
    """Each ALLOWED pair still occurs in its module (an exception whose reason is gone is removed)."""
    for module, name in ALLOWED:
        tree = ast.parse((PACKAGE / module).read_text())
        assert any(name in _identifiers(node) for node in ast.walk(tree)), f"{module} no longer uses {name}"


def template_names_in(text: str) -> list[str]:
    """'line: name' for each backend name in a template's text, in any case or spelling."""
    return [f"{number}: {name}" for number, line in enumerate(text.splitlines(), 1)
            for name in sorted(_words(line) & NAMES)]


def test_the_template_check_finds_backend_names_in_any_spelling():
    """The template check is real: a test of the target's name, a backend's prose and its identifiers are found."""
    text = ('{% if target == "cerebras" %}\n## GPU guidance (CUDA)\n`stream` is a `cudaStream_t`\n'
            'Pointers are host pointers (cuSZp format, OpenMP).\n')
    assert template_names_in(text) == ["1: cerebras", "2: cuda", "3: cuda"]


def test_no_template_outside_backends_names_a_backend():
    """No Jinja template of szagents/ outside backends/ names cpu, cuda or cerebras, in its logic or its prose."""
    offenders = [f"{path.relative_to(PACKAGE)}:{hit}"
                 for path in sorted(PACKAGE.rglob("*.j2")) if path.relative_to(PACKAGE).parts[0] != "backends"
                 for hit in template_names_in(path.read_text(encoding="utf-8"))]
    assert not offenders, "\n".join(offenders)
