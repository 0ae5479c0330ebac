"""A run's workspace: the only folder an agent's file tools may read and write."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path, PurePosixPath

from szagents.errors import SzAgentsError

__all__ = ["WorkspaceError", "Workspace", "MAX_FILE_BYTES", "READ_ONLY", "IGNORED_DIRS", "BINARY_SUFFIXES"]

MAX_FILE_BYTES = 1_000_000
READ_ONLY = frozenset({"sz_abi.h"})  # the ABI is fixed: the harness calls these exact symbols
IGNORED_DIRS = frozenset({"build", "out", "__pycache__"})
BINARY_SUFFIXES = frozenset({".o", ".so", ".a", ".out", ".bin", ".exe", ".ptx", ".cubin", ".fatbin", ".elf"})

_ALLOWED = (
    "paths must be relative to the workspace root (e.g. 'kernel.cu' or 'src/util.h'), "
    "without '..', without hidden ('.'-prefixed) parts, and must not leave the workspace "
    "through a symbolic link"
)


class WorkspaceError(SzAgentsError, ValueError):
    """A path or file operation the workspace refuses; the message says what is allowed."""


class Workspace:
    """File operations confined to root; every path is checked before it is touched."""

    def __init__(
        self, root: Path, *, read_only: Iterable[str] = READ_ONLY, max_file_bytes: int = MAX_FILE_BYTES
    ) -> None:
        self.root = Path(root).resolve()
        self.read_only = frozenset(read_only)
        self.max_file_bytes = max_file_bytes

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"

    def resolve(self, rel: str) -> Path:
        """The real path of rel inside the workspace, or WorkspaceError when rel could leave it."""
        if not isinstance(rel, str) or not rel.strip() or "\0" in rel:
            raise WorkspaceError(f"invalid path {rel!r}: {_ALLOWED}")
        pure = PurePosixPath(rel.strip())
        if pure.is_absolute() or Path(rel).is_absolute():
            raise WorkspaceError(f"absolute path {rel!r} refused: {_ALLOWED}")
        if ".." in pure.parts:
            raise WorkspaceError(f"path {rel!r} uses '..': {_ALLOWED}")
        if any(part.startswith(".") for part in pure.parts):
            raise WorkspaceError(f"path {rel!r} has a hidden part (reserved for the harness): {_ALLOWED}")
        real = (self.root / pure).resolve()
        if real != self.root and self.root not in real.parents:
            raise WorkspaceError(f"path {rel!r} leads outside the workspace through a symbolic link: {_ALLOWED}")
        inside = real.relative_to(self.root).parts
        if any(part.startswith(".") for part in inside):
            raise WorkspaceError(f"path {rel!r} leads into a hidden folder: {_ALLOWED}")
        return real

    def relative(self, path: Path) -> str:
        """path (inside the workspace) as the posix string the agent uses."""
        return Path(path).resolve().relative_to(self.root).as_posix()

    def _file(self, rel: str) -> Path:
        """An existing regular file at rel."""
        path = self.resolve(rel)
        if path.is_dir():
            raise WorkspaceError(f"{rel!r} is a folder, not a file; call list_files to see the files")
        if not path.exists():
            raise WorkspaceError(f"{rel!r} does not exist; existing files: {', '.join(self.list_files()) or 'none'}")
        return path

    def _walk(self) -> Iterator[str]:
        """Tracked files: regular, not symlinks, outside hidden and build folders, not binaries."""
        for folder, dirs, files in os.walk(self.root, followlinks=False):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in IGNORED_DIRS)
            for name in sorted(files):
                path = Path(folder, name)
                if name.startswith(".") or path.is_symlink() or path.suffix in BINARY_SUFFIXES:
                    continue
                yield path.relative_to(self.root).as_posix()

    def list_files(self) -> list[str]:
        """Tracked files, as sorted relative posix paths."""
        return sorted(self._walk())

    def exists(self, rel: str) -> bool:
        """True when rel names an existing file inside the workspace."""
        try:
            return self.resolve(rel).is_file()
        except WorkspaceError:
            return False

    def read_text(self, rel: str, offset_line: int = 0, max_lines: int | None = None) -> str:
        """Lines offset_line .. offset_line + max_lines of a text file (all of it by default)."""
        path = self._file(rel)
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise WorkspaceError(f"{rel!r} is not a UTF-8 text file") from None
        if offset_line == 0 and max_lines is None:
            return text
        lines = text.splitlines(keepends=True)
        end = None if max_lines is None else max(offset_line, 0) + max(max_lines, 0)
        return "".join(lines[max(offset_line, 0):end])

    def _check_writable(self, rel: str, content: str) -> Path:
        path = self.resolve(rel)
        if path.relative_to(self.root).as_posix() in self.read_only:
            raise WorkspaceError(f"{rel!r} is read-only (it defines the fixed ABI); write your code in other files")
        if path.is_dir():
            raise WorkspaceError(f"{rel!r} is a folder; give a file path")
        size = len(content.encode("utf-8"))
        if size > self.max_file_bytes:
            raise WorkspaceError(
                f"{rel!r} would be {size} bytes; files are limited to {self.max_file_bytes} bytes "
                "(write source code, not data)"
            )
        return path

    def write_text(self, rel: str, content: str) -> Path:
        """Create or replace a text file (parents created); returns its path."""
        path = self._check_writable(rel, content)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        return path

    def edit(self, rel: str, old: str, new: str) -> int:
        """Replace the one exact occurrence of old by new; returns the 1-based line where it starts."""
        if not old:
            raise WorkspaceError("old text is empty; give the exact text to replace (copy it from read_file)")
        text = self.read_text(rel)
        count = text.count(old)
        if count == 0:
            raise WorkspaceError(
                f"old text not found in {rel!r}; read the file again and copy the exact text, "
                "including whitespace and indentation (line-number prefixes are not part of the file)"
            )
        if count > 1:
            raise WorkspaceError(f"old text occurs {count} times in {rel!r}; include more surrounding lines so it is unique")
        start = text.index(old)
        self.write_text(rel, text[:start] + new + text[start + len(old):])
        return text.count("\n", 0, start) + 1

    def snapshot(self) -> dict[str, bytes]:
        """Contents of the tracked files not larger than the file-size cap."""
        files = {}
        for rel in self._walk():
            path = self.root / rel
            if path.stat().st_size <= self.max_file_bytes:
                files[rel] = path.read_bytes()
        return files

    def restore(self, files: Mapping[str, bytes]) -> None:
        """Make the tracked files exactly files: write each, delete tracked others (read-only kept)."""
        for rel in self.list_files():
            if rel not in files and rel not in self.read_only:
                (self.root / rel).unlink()
        for rel, data in files.items():
            path = self.resolve(rel)
            if (self.root / rel).is_symlink() or path.is_dir():
                raise WorkspaceError(f"cannot restore {rel!r}: a link or folder stands in its place")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
