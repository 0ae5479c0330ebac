"""Workspace confinement: escapes by '..', absolute paths and symlinks are refused; edits are exact."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from szagents.errors import SzAgentsError
from szagents.workspace import Workspace, WorkspaceError


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    root = tmp_path / "workspace"
    root.mkdir()
    (root / "kernel.c").write_text("int a;\nint b;\nint a2;\n")
    (root / "sz_abi.h").write_text("/* abi */\n")
    return Workspace(root)


@pytest.mark.parametrize("bad", ["../x", "a/../../x", "..", "/etc/passwd", "", "   ", "a\0b", ".harness/x", ".git"])
def test_paths_outside_or_hidden_are_refused(ws, bad):
    """'..', absolute, empty, NUL and hidden paths raise WorkspaceError saying what is allowed."""
    with pytest.raises(WorkspaceError, match="relative to the workspace"):
        ws.resolve(bad)


def test_workspace_error_is_typed(ws):
    """WorkspaceError is an SzAgentsError (and a ValueError)."""
    with pytest.raises(SzAgentsError):
        ws.read_text("../etc/passwd")


def test_symlink_to_file_outside_is_refused_even_for_reads(ws):
    """A link to /etc/passwd cannot be read, written or listed."""
    os.symlink("/etc/passwd", ws.root / "passwd")
    with pytest.raises(WorkspaceError, match="symbolic link"):
        ws.read_text("passwd")
    with pytest.raises(WorkspaceError, match="symbolic link"):
        ws.write_text("passwd", "x")
    assert "passwd" not in ws.list_files()
    assert "passwd" not in ws.snapshot()


def test_symlinked_directory_outside_is_refused(ws, tmp_path):
    """A folder link that leaves the workspace refuses reads and writes beneath it."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    os.symlink(outside, ws.root / "sub")
    with pytest.raises(WorkspaceError, match="symbolic link"):
        ws.read_text("sub/secret.txt")
    with pytest.raises(WorkspaceError, match="symbolic link"):
        ws.write_text("sub/new.c", "int x;")
    assert not (outside / "new.c").exists()


def test_symlink_inside_is_followed(ws):
    """A link that stays inside the workspace is fine."""
    os.symlink(ws.root / "kernel.c", ws.root / "alias.c")
    assert ws.read_text("alias.c").startswith("int a;")


def test_read_slices_lines(ws):
    """offset_line and max_lines select lines."""
    assert ws.read_text("kernel.c", offset_line=1, max_lines=1) == "int b;\n"
    assert ws.read_text("kernel.c", offset_line=2) == "int a2;\n"


def test_write_creates_parents_and_caps_size(ws):
    """Writes create folders; content over the cap is refused with the limit named."""
    ws.write_text("src/util.h", "#pragma once\n")
    assert (ws.root / "src" / "util.h").exists()
    small = Workspace(ws.root, max_file_bytes=10)
    with pytest.raises(WorkspaceError, match="limited to 10 bytes"):
        small.write_text("big.c", "x" * 11)
    assert not (ws.root / "big.c").exists()


def test_abi_header_is_read_only(ws):
    """sz_abi.h cannot be overwritten or edited."""
    with pytest.raises(WorkspaceError, match="read-only"):
        ws.write_text("sz_abi.h", "changed")
    with pytest.raises(WorkspaceError, match="read-only"):
        ws.edit("sz_abi.h", "abi", "ABI")


def test_edit_replaces_one_exact_match(ws):
    """A unique match is replaced and its line number returned."""
    assert ws.edit("kernel.c", "int b;", "long b;") == 2
    assert ws.read_text("kernel.c") == "int a;\nlong b;\nint a2;\n"


@pytest.mark.parametrize(("old", "message"), [("int c;", "not found"), ("int a", "occurs 2 times"), ("", "empty")])
def test_edit_errors_say_what_to_do(ws, old, message):
    """No match, several matches and an empty old text are clear errors; the file is unchanged."""
    before = ws.read_text("kernel.c")
    with pytest.raises(WorkspaceError, match=message):
        ws.edit("kernel.c", old, "x")
    assert ws.read_text("kernel.c") == before


def test_missing_file_error_lists_existing_files(ws):
    """Reading a missing file names the files that exist."""
    with pytest.raises(WorkspaceError, match="kernel.c"):
        ws.read_text("kernel.cu")


def test_snapshot_ignores_staging_builds_and_binaries(ws):
    """The snapshot holds sources only; restore brings exactly them back."""
    (ws.root / ".harness").mkdir()
    (ws.root / ".harness" / "case.npy").write_bytes(b"data")
    (ws.root / "build").mkdir()
    (ws.root / "build" / "x.c").write_text("built")
    (ws.root / "lib.so").write_bytes(b"\x7fELF")
    snap = ws.snapshot()
    assert sorted(snap) == ["kernel.c", "sz_abi.h"]
    ws.write_text("kernel.c", "changed")
    ws.write_text("extra.c", "new file")
    ws.restore(snap)
    assert ws.snapshot() == snap
    assert (ws.root / ".harness" / "case.npy").exists()
