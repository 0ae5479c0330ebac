"""A child program from one model reply: SEARCH/REPLACE edits of its parent's files, or a whole file.

Diff format (AlphaEvolve's and OpenEvolve's): one or more blocks
```
<<<<<<< SEARCH
exact lines of the parent
=======
their replacement
>>>>>>> REPLACE
```
each of whose SEARCH text must occur exactly once in the file being edited. A whole file is the
last fenced code block of the reply. With several target files, a line `FILE: <name>` just before
a block or fence says which file it edits (default: the first target file).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["EditError", "apply_reply", "apply_blocks", "whole_file"]

_BLOCK = re.compile(r"(?:^FILE:\s*(?P<file>\S+)\s*\n)?<<<<<<< SEARCH\n(?P<search>.*?)^=======\n(?P<replace>.*?)^>>>>>>> REPLACE",
                    re.DOTALL | re.MULTILINE)
_FENCE = re.compile(r"(?:^FILE:\s*(?P<file>\S+)\s*\n)?^```[^\n]*\n(?P<body>.*?)^```", re.DOTALL | re.MULTILINE)


class EditError(ValueError):
    """A reply whose edits cannot be applied; the message says which block and why (the child fails: edit_error)."""


def apply_blocks(reply: str, files: Mapping[str, bytes], default: str) -> dict[str, bytes] | None:
    """files with reply's SEARCH/REPLACE blocks applied in order; None when the reply holds no block."""
    blocks = list(_BLOCK.finditer(reply))
    if not blocks:
        return None
    out = dict(files)
    for i, block in enumerate(blocks, start=1):
        name = block.group("file") or default
        if name not in out:
            raise EditError(f"edit {i} names file {name!r}, which the parent does not have ({', '.join(sorted(out))})")
        text = out[name].decode("utf-8", errors="replace")
        search = block.group("search")
        count = text.count(search)
        if count != 1:
            first = search.strip().splitlines()[0][:80] if search.strip() else "(empty)"
            raise EditError(f"edit {i}: its SEARCH text occurs {count} times in {name} (must be exactly once); "
                            f"it starts: {first!r}")
        out[name] = text.replace(search, block.group("replace"), 1).encode()
    return out


def whole_file(reply: str, files: Mapping[str, bytes], default: str) -> dict[str, bytes] | None:
    """files with one file replaced by the reply's last fenced code block; None when there is none."""
    fences = list(_FENCE.finditer(reply))
    if not fences:
        return None
    last = fences[-1]
    name = last.group("file") or default
    return {**files, name: last.group("body").encode()}


def apply_reply(reply: str, files: Mapping[str, bytes], default: str, *, diff: bool) -> dict[str, bytes]:
    """The child's files: the reply's edits (diff=True; a whole file is accepted too) or its whole file.

    Raises EditError when the reply holds neither, or an edit does not apply.
    """
    child = apply_blocks(reply, files, default) if diff else None
    if child is None:
        child = whole_file(reply, files, default)
    if child is None:
        wanted = "SEARCH/REPLACE blocks or a fenced code block" if diff else "a fenced code block with the whole file"
        raise EditError(f"the reply holds no {wanted}; nothing to apply")
    if dict(child) == dict(files):
        raise EditError("the edits leave the parent's files unchanged")
    return child
