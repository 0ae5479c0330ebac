"""Compiler diagnostics sized for an LLM's context: first errors kept, the rest counted."""

from __future__ import annotations

import re

__all__ = ["summarize_log"]

_ERROR = re.compile(r"\b(error|fatal error|undefined reference)\b", re.IGNORECASE)


def summarize_log(log: str, limit: int = 4000, context: int = 2) -> str:
    """The whole log if it fits, else the first errors with a few lines of context each."""
    if len(log) <= limit:
        return log
    lines = log.splitlines()
    keep: list[int] = []
    for i, line in enumerate(lines):
        if _ERROR.search(line):
            keep.extend(range(max(0, i - context), min(len(lines), i + context + 1)))
    chosen = sorted(set(keep)) or list(range(len(lines)))
    out: list[str] = []
    size = 0
    for count, i in enumerate(chosen):
        if size + len(lines[i]) + 1 > limit - 80:
            errors = sum(1 for j in chosen[count:] if _ERROR.search(lines[j]))
            out.append(f"[... {len(chosen) - count} more lines cut, {errors} of them errors; "
                       f"log was {len(lines)} lines ...]")
            break
        out.append(lines[i])
        size += len(lines[i]) + 1
    return "\n".join(out)
