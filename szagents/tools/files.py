"""File tools: list, read, write and edit files of the workspace (never outside it)."""

from __future__ import annotations

from langchain_core.tools import ToolException

from szagents.tools.context import ToolContext
from szagents.tools.formatting import numbered
from szagents.workspace.layout import target_files

__all__ = ["list_files", "read_file", "write_file", "edit_file"]


def _size(nbytes: int) -> str:
    return f"{nbytes} B" if nbytes < 1000 else f"{nbytes / 1000:.1f} kB"


def list_files(ctx: ToolContext) -> str:
    """Every file of the workspace with its size and role."""
    ws = ctx.workspace
    targets = set(target_files(ctx.task))
    rows = []
    for rel in ws.list_files():
        path = ws.root / rel
        note = "  <- read-only" if rel in ws.read_only else ""
        note = "  <- target: compiled and submitted" if rel in targets else note
        rows.append(f"{rel:<32} {_size(path.stat().st_size):>9}{note}")
    missing = [t for t in sorted(targets) if not ws.exists(t)]
    if missing:
        rows.append(f"(not written yet: {', '.join(missing)})")
    return "\n".join(rows) or "the workspace is empty"


def read_file(ctx: ToolContext, path: str, offset: int = 0, limit: int | None = None) -> str:
    """Numbered lines of a text file from line offset + 1: at most limit lines, and what fits the output cap."""
    lines = ctx.workspace.read_text(path).splitlines(keepends=True)
    offset = max(offset, 0)
    if offset >= len(lines) and lines:
        raise ToolException(f"error: {path} has {len(lines)} lines; offset {offset} is past the end")
    wanted = lines[offset:offset + (limit or ctx.limits.read_lines)]
    budget = ctx.limits.output_chars - 200
    width = len(str(offset + len(wanted)))
    shown: list[str] = []
    for line in wanted:  # stop at a line boundary when long lines would overflow the cap
        budget -= len(line) + width + 2
        if budget < 0 and shown:
            break
        shown.append(line if budget >= 0 else line[: len(line) + budget] + " [line cut]\n")
    end = offset + len(shown)
    head = f"{path}: lines {offset + 1}-{end} of {len(lines)}"
    if end < len(lines):
        head += f" (call read_file with offset={end} for more)"
    return f"{head}\n{numbered(shown, offset + 1)}" if shown else f"{head}\n(empty file)"


def write_file(ctx: ToolContext, path: str, content: str) -> str:
    """Create or replace a file with content."""
    existed = ctx.workspace.exists(path)
    ctx.workspace.write_text(path, content)
    lines = content.count("\n") + (0 if content.endswith("\n") or not content else 1)
    verb = "replaced" if existed else "created"
    return f"{verb} {path}: {len(content.encode())} bytes, {lines} lines"


def edit_file(ctx: ToolContext, path: str, old: str, new: str) -> str:
    """Replace one exact, unique occurrence of old by new; show the edited region."""
    line = ctx.workspace.edit(path, old, new)
    lines = ctx.workspace.read_text(path).splitlines(keepends=True)
    first = max(line - 3, 1)
    last = min(line + new.count("\n") + 3, len(lines))
    return f"edited {path} at line {line}; lines {first}-{last} now read:\n" + numbered(lines[first - 1:last], first)
