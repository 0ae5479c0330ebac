"""A light scanner of CSL sources: params, builtin calls, exports, arrays and integer constants.

It is not a CSL parser. It finds the declarations the static checks need with regular expressions
over comment-free text (offsets preserved, so findings keep their line numbers) and evaluates
simple integer expressions; what it cannot read it reports as unknown rather than guessing.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Call", "ArrayDecl", "CslSource", "evaluate", "struct_fields"]

_IDENT = r"[A-Za-z_]\w*"
_PARAM = re.compile(rf"\bparam\s+({_IDENT})\s*(?::[^=;]*)?(=)?[^;]*;")
_CONST = re.compile(rf"\bconst\s+({_IDENT})\s*(?::\s*{_IDENT}\s*)?=\s*([^;{{}}]+);")
_ARRAY = re.compile(
    rf"\b(?:var|const)\s+({_IDENT})\s*"
    rf"(?::\s*\[([^\]]+)\]\s*({_IDENT})|=\s*@(?:zeros|constants)\s*\(\s*\[([^\]]+)\]\s*({_IDENT}))"
)
_POINTER = re.compile(rf"\b(var|const)\s+({_IDENT})\s*:\s*\[\*\]\s*{_IDENT}\s*=\s*&\s*({_IDENT})")
_AS = re.compile(rf"@as\(\s*{_IDENT}\s*,")
_MODULE_CONSTANTS = {"tsc_size_words": 3}  # <time>: a timestamp is three 16-bit words


@dataclass(frozen=True)
class Call:
    """One builtin call: its line and its top-level arguments as source text."""

    line: int
    args: tuple[str, ...]


@dataclass(frozen=True)
class ArrayDecl:
    """An array declaration: name, line, dimension expressions, element type."""

    name: str
    line: int
    dims: tuple[str, ...]
    element: str


def _strip_comments(text: str) -> str:
    """text with // and /* */ comments blanked (newlines kept), strings untouched."""
    out, i, n = list(text), 0, len(text)
    while i < n:
        if text[i] == '"':
            end = text.find('"', i + 1)
            i = n if end < 0 else end + 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out[i:end] = " " * (end - i)
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out[i:end] = [c if c == "\n" else " " for c in text[i:end]]
            i = end
        else:
            i += 1
    return "".join(out)


def _split_args(text: str, start: int) -> tuple[tuple[str, ...], int]:
    """Top-level comma-separated arguments of the call whose '(' is at start; and the end offset."""
    depth, args, begin, i = 0, [], start + 1, start
    while i < len(text):
        c = text[i]
        if c == '"':
            i = text.find('"', i + 1)
            if i < 0:
                break
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append(text[begin:i].strip())
                return tuple(a for a in args if a), i
        elif c == "," and depth == 1:
            args.append(text[begin:i].strip())
            begin = i + 1
        i += 1
    return tuple(a for a in args if a), len(text)


def struct_fields(text: str) -> dict[str, str]:
    """Fields at the top level of an anonymous struct literal `.{ .a = x, .b = y }`: name -> expr."""
    start = text.find(".{")
    if start < 0:
        return {}
    parts, _ = _split_args(text, start + 1)
    fields = {}
    for part in parts:
        match = re.match(rf"\.({_IDENT})\s*=(?!=)\s*(.*)", part, re.DOTALL)
        if match:
            fields[match.group(1)] = match.group(2).strip()
    return fields


@dataclass
class CslSource:
    """One CSL file, scanned."""

    name: str
    text: str
    code: str = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.code = _strip_comments(self.text)

    def line(self, offset: int) -> int:
        """1-based line number of a character offset."""
        return self.code.count("\n", 0, offset) + 1

    def params(self) -> dict[str, tuple[int, bool]]:
        """param name -> (line, has a default value)."""
        return {m.group(1): (self.line(m.start()), m.group(2) is not None) for m in _PARAM.finditer(self.code)}

    def calls(self, builtin: str) -> list[Call]:
        """Every call of @builtin, with its top-level arguments."""
        found = []
        for match in re.finditer(rf"@{builtin}\s*\(", self.code):
            args, _ = _split_args(self.code, match.end() - 1)
            found.append(Call(self.line(match.start()), args))
        return found

    def imports(self) -> set[str]:
        """Module names passed to @import_module, e.g. <memcpy/memcpy>."""
        return {c.args[0].strip('"') for c in self.calls("import_module") if c.args}

    def consts(self) -> dict[str, str]:
        """Integer-looking const declarations: name -> expression text."""
        return {m.group(1): m.group(2).strip() for m in _CONST.finditer(self.code)}

    def arrays(self) -> dict[str, ArrayDecl]:
        """Array declarations by name (typed `var a: [n]T` or `@zeros([n]T)` / `@constants`)."""
        found = {}
        for m in _ARRAY.finditer(self.code):
            dims, element = (m.group(2), m.group(3)) if m.group(2) else (m.group(4), m.group(5))
            if dims.strip() == "*":  # a many-item pointer, not storage
                continue
            found[m.group(1)] = ArrayDecl(m.group(1), self.line(m.start()),
                                          tuple(d.strip() for d in dims.split(",")), element)
        return found

    def pointers(self) -> dict[str, str]:
        """Pointer name -> the array it points to, from `var p: [*]T = &array;`."""
        return {m.group(2): m.group(3) for m in _POINTER.finditer(self.code)}

    def pointer_kinds(self) -> dict[str, tuple[str, int]]:
        """Pointer name -> (`var` or `const`, line) of its declaration."""
        return {m.group(2): (m.group(1), self.line(m.start())) for m in _POINTER.finditer(self.code)}

    def mentions(self, word: str) -> bool:
        """True when the comment-free code contains word."""
        return word in self.code


class _Eval(ast.NodeVisitor):
    def __init__(self, env: Mapping[str, object], depth: int) -> None:
        self.env, self.depth = env, depth

    def visit_Expression(self, node: ast.Expression) -> int:
        return self.visit(node.body)

    def visit_Constant(self, node: ast.Constant) -> int:
        if isinstance(node.value, bool) or not isinstance(node.value, int):
            raise ValueError("not an integer")
        return node.value

    def visit_Name(self, node: ast.Name) -> int:
        value = self.env.get(node.id)
        if isinstance(value, int):
            return value
        if isinstance(value, str) and self.depth < 8:
            result = evaluate(value, self.env, self.depth + 1)
            if result is not None:
                return result
        raise ValueError(f"unknown name {node.id}")

    def visit_Attribute(self, node: ast.Attribute) -> int:
        if node.attr in _MODULE_CONSTANTS:
            return _MODULE_CONSTANTS[node.attr]
        raise ValueError(f"unknown member {node.attr}")

    def visit_UnaryOp(self, node: ast.UnaryOp) -> int:
        if isinstance(node.op, ast.USub):
            return -self.visit(node.operand)
        if isinstance(node.op, ast.UAdd):
            return self.visit(node.operand)
        raise ValueError("operator")

    def visit_BinOp(self, node: ast.BinOp) -> int:
        a, b = self.visit(node.left), self.visit(node.right)
        ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b,
               ast.Div: lambda: int(a / b), ast.FloorDiv: lambda: int(a / b), ast.Mod: lambda: a % b,
               ast.LShift: lambda: a << b, ast.RShift: lambda: a >> b}
        if type(node.op) not in ops:
            raise ValueError("operator")
        return ops[type(node.op)]()

    def generic_visit(self, node: ast.AST) -> int:
        raise ValueError(f"unsupported {type(node).__name__}")


def evaluate(expr: str, env: Mapping[str, object], depth: int = 0) -> int | None:
    """Value of an integer expression over env (ints, or expression strings); None if unknown."""
    text = _AS.sub("(", expr.strip())
    try:
        return _Eval(env, depth).visit(ast.parse(text, mode="eval"))
    except (SyntaxError, ValueError, ZeroDivisionError, RecursionError):
        return None
