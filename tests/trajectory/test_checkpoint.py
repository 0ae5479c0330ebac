"""open_checkpointer: SQLite by default (a killed or failed run resumes in a new process), memory, Postgres hint."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver

from szagents.errors import ToolchainError, UnknownSpecError
from szagents.trajectory import CHECKPOINT_FILENAME, open_checkpointer
from tests.trajectory.tiny_graph import CONFIG, build

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.parametrize(("failure", "durability"), [("raise", "async"), ("kill", "sync")])
def test_interrupted_run_resumes_from_sqlite_in_new_process(tmp_path, failure, durability):
    """A run whose second node raised (or was SIGKILLed) resumes at that node from the SQLite file and finishes."""
    child = subprocess.run([sys.executable, "-m", "tests.trajectory.tiny_graph", str(tmp_path), failure, durability],
                           cwd=REPO, capture_output=True, text=True, timeout=120)
    assert child.returncode != 0
    if failure == "raise":
        assert "interrupted in second" in child.stderr
    assert (tmp_path / CHECKPOINT_FILENAME).is_file()
    with open_checkpointer(None, tmp_path) as saver:
        graph = build(saver)
        assert graph.get_state(CONFIG).next == ("second",)
        result = graph.invoke(None, CONFIG)
        assert result == {"trace": ["first", "second"]}  # "first" did not run again
        assert graph.get_state(CONFIG).next == ()


def test_sqlite_connection_is_closed_on_exit(tmp_path):
    """The default checkpointer is a SqliteSaver on run_dir/checkpoints.sqlite whose connection closes on exit."""
    with open_checkpointer(None, tmp_path / "run") as saver:
        assert isinstance(saver, SqliteSaver)
        build(saver).invoke({"trace": []}, CONFIG)
        conn = saver.conn
    assert (tmp_path / "run" / CHECKPOINT_FILENAME).is_file()
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        conn.execute("select 1")


def test_explicit_sqlite_path_and_url(tmp_path, monkeypatch):
    """A path, or a sqlite:/// URL (relative or absolute), puts the database file exactly there."""
    monkeypatch.chdir(tmp_path)
    specs = {tmp_path / "a.db": tmp_path / "a.db", "sqlite:///rel/b.db": tmp_path / "rel" / "b.db",
             f"sqlite:///{tmp_path}/c.db": tmp_path / "c.db"}
    for spec, expected in specs.items():
        with open_checkpointer(spec, tmp_path / "unused") as saver:
            build(saver).invoke({"trace": []}, CONFIG)
        assert expected.is_file(), spec
    assert not (tmp_path / "unused").exists()


def test_memory_spec_gives_in_memory_saver(tmp_path):
    """'memory' gives an InMemorySaver and creates no file."""
    with open_checkpointer("memory", tmp_path) as saver:
        assert isinstance(saver, InMemorySaver)
        assert build(saver).invoke({"trace": []}, CONFIG) == {"trace": ["first", "second"]}
    assert list(tmp_path.iterdir()) == []


def test_unknown_url_scheme_is_rejected(tmp_path):
    """A URL with an unsupported scheme raises UnknownSpecError naming the accepted forms."""
    with pytest.raises(UnknownSpecError, match="postgresql://"):
        with open_checkpointer("redis://localhost:6379", tmp_path):
            pass


def test_postgres_without_package_says_how_to_install(tmp_path, monkeypatch):
    """A postgresql:// URL without langgraph-checkpoint-postgres raises ToolchainError with the pip command."""
    monkeypatch.setitem(sys.modules, "langgraph.checkpoint.postgres", None)  # as if not installed: import fails
    with pytest.raises(ToolchainError, match="pip install langgraph-checkpoint-postgres"):
        with open_checkpointer("postgresql://user@localhost/db", tmp_path):
            pass
