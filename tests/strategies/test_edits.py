"""A child's files from one reply: SEARCH/REPLACE blocks or a whole file, and the errors a bad reply gets."""

from __future__ import annotations

import pytest

from szagents.strategies.edits import EditError, apply_reply

PARENT = {"kernel.c": b"int a = 1;\nint b = 2;\nint a2 = 1;\n", "util.h": b"#define X 1\n"}


def _block(search: str, replace: str, file: str | None = None) -> str:
    head = f"FILE: {file}\n" if file else ""
    return f"{head}<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"


def test_blocks_apply_in_order_to_the_named_files():
    reply = "Two edits.\n" + _block("int b = 2;\n", "int b = 3;\n") + _block("#define X 1\n", "#define X 2\n", "util.h")
    child = apply_reply(reply, PARENT, "kernel.c", diff=True)
    assert child == {"kernel.c": b"int a = 1;\nint b = 3;\nint a2 = 1;\n", "util.h": b"#define X 2\n"}


@pytest.mark.parametrize(("search", "count"), [("int c = 9;\n", 0), ("= 1;\n", 2)])
def test_a_search_that_is_not_unique_is_refused_with_its_count(search, count):
    with pytest.raises(EditError, match=f"occurs {count} times"):
        apply_reply(_block(search, "x\n"), PARENT, "kernel.c", diff=True)


def test_a_whole_file_in_the_last_fence_replaces_that_file():
    reply = "Rewritten.\n```c\nold draft\n```\nfinal:\n```c\nint z = 0;\n```\n"
    assert apply_reply(reply, PARENT, "kernel.c", diff=False)["kernel.c"] == b"int z = 0;\n"


def test_a_reply_without_code_or_without_change_is_an_edit_error():
    with pytest.raises(EditError, match="holds no SEARCH/REPLACE"):
        apply_reply("I would parallelise the loop.", PARENT, "kernel.c", diff=True)
    with pytest.raises(EditError, match="unchanged"):
        apply_reply(_block("int b = 2;\n", "int b = 2;\n"), PARENT, "kernel.c", diff=True)
    with pytest.raises(EditError, match="names file 'other.c'"):
        apply_reply(_block("a\n", "b\n", "other.c"), PARENT, "kernel.c", diff=True)
