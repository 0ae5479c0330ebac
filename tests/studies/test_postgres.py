"""Runs that move: a study on a Postgres checkpointer (a real PostgreSQL started by the test) is killed
mid-way on the local executor and finished by the Ray executor; interrupted runs resume from Postgres.

Needs root, `apt-get install postgresql-15` (CI's .ci/services installs it) and the test extra's
langgraph-checkpoint-postgres (whose psycopg uses the system's libpq)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.studies.conftest import events, services_missing, study_cli, write_study
from tests.studies.test_study_local import _kill_midway

pytest.importorskip("langgraph.checkpoint.postgres", reason="needs langgraph-checkpoint-postgres (the postgres extra)")
pytest.importorskip("ray", reason="needs the ray extra")

pytestmark = pytest.mark.slow
BIN = Path("/usr/lib/postgresql/15/bin")


@pytest.fixture
def postgres():
    """A PostgreSQL server on 127.0.0.1 (run as the postgres user), with an empty database; its URL."""
    if not (BIN / "pg_ctl").exists() or os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip(services_missing("needs root and Debian's postgresql-15"))
    folder = Path(tempfile.mkdtemp(prefix="szagents-pg-"))  # pytest's tmp folders are closed to the postgres user
    shutil.chown(folder, "postgres")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    as_pg = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*as_pg, BIN / "initdb", "-D", folder / "data", "-A", "trust", "-U", "szagents"],
                   check=True, capture_output=True)
    subprocess.run([*as_pg, BIN / "pg_ctl", "-D", folder / "data", "-l", folder / "log", "-w", "start", "-o",
                    f"-k {folder} -p {port} -h 127.0.0.1"], check=True, capture_output=True)
    try:
        subprocess.run([*as_pg, BIN / "createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "szagents", "studies"],
                       check=True, capture_output=True)
        yield f"postgresql://szagents@127.0.0.1:{port}/studies"
    finally:
        subprocess.run([*as_pg, BIN / "pg_ctl", "-D", folder / "data", "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.xdist_group("ray")  # one Ray cluster for the session (conftest.cluster)
def test_runs_move_from_the_local_executor_to_ray_through_postgres(tmp_path: Path, postgres: str, cluster: str):
    """8 runs checkpoint to Postgres (no SQLite in their folders); killed locally, finished on Ray."""
    study = write_study(tmp_path, repeats=2, concurrency=4, tiers=("user",), extra=f'checkpoint = "{postgres}"')
    slots = tmp_path / "slots"
    done_before = _kill_midway(study, slots)
    proc = study_cli(str(study), "--executor", "ray", "--address", cluster, slots=slots)
    output = proc.communicate(timeout=600)[0]
    assert proc.returncode == 0, output
    folders = [p for p in (tmp_path / "runs").iterdir() if (p / "trajectory.jsonl").exists()]
    assert len(folders) == 8 and not any((p / "checkpoints.sqlite").exists() for p in folders)
    resumed = 0
    for folder in folders:
        stream = events(folder)
        assert [e["event"] for e in stream].count("run_end") == 1, folder.name
        starts = [e for e in stream if e["event"] == "run_start"]
        assert folder.name not in done_before or len(starts) == 1
        resumed += any(s["resumed"] for s in starts)
    assert resumed >= 1
