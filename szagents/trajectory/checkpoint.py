"""Open the LangGraph checkpointer a run's spec names: SQLite (default), in-memory, or Postgres.

Specs: None -> `run_dir/checkpoints.sqlite`; "memory" -> InMemorySaver (nothing survives the
process); "postgresql://..." or "postgres://..." -> PostgresSaver (needs the optional
langgraph-checkpoint-postgres package, imported only then); "sqlite:///relative/path",
"sqlite:////absolute/path", or any other string or Path -> a SQLite file at that path (a relative
path is relative to the working directory).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver

from szagents.errors import ToolchainError, UnknownSpecError

__all__ = ["CHECKPOINT_FILENAME", "open_checkpointer"]

CHECKPOINT_FILENAME = "checkpoints.sqlite"
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")
_SQLITE_SCHEME = "sqlite:///"


@contextmanager
def open_checkpointer(url_or_path: str | Path | None, run_dir: Path) -> Iterator[BaseCheckpointSaver]:
    """Yield the checkpointer url_or_path names (None: SQLite in run_dir); close its connection on exit."""
    if url_or_path is None:
        url_or_path = Path(run_dir) / CHECKPOINT_FILENAME
    if isinstance(url_or_path, str):
        if url_or_path == "memory":
            yield InMemorySaver()
            return
        if url_or_path.startswith(_POSTGRES_SCHEMES):
            with _open_postgres(url_or_path) as saver:
                yield saver
            return
        if url_or_path.startswith(_SQLITE_SCHEME):
            url_or_path = url_or_path[len(_SQLITE_SCHEME):]  # SQLAlchemy style: 4 slashes = absolute
        elif "://" in url_or_path:
            raise UnknownSpecError(
                f"unknown checkpointer URL {url_or_path!r}; use a SQLite path, 'sqlite:///path', "
                "'memory', or 'postgresql://...'")
    with _open_sqlite(Path(url_or_path)) as saver:
        yield saver


@contextmanager
def _open_sqlite(path: Path) -> Iterator[SqliteSaver]:
    """A SqliteSaver over its own connection to path, usable from any thread, closed on exit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False)
    try:
        yield SqliteSaver(conn)
    finally:
        conn.close()


@contextmanager
def _open_postgres(url: str) -> Iterator[BaseCheckpointSaver]:
    """A PostgresSaver for url with its tables created; the package is imported only here."""
    try:
        from langgraph.checkpoint.postgres import PostgresSaver  # optional extra: import on demand
    except ImportError as exc:
        raise ToolchainError(
            f"a postgresql:// checkpointer needs langgraph-checkpoint-postgres ({exc}); "
            "install it with: pip install langgraph-checkpoint-postgres") from exc
    with PostgresSaver.from_conn_string(url) as saver:
        saver.setup()
        yield saver
