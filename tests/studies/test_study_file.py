"""Study files: the issue's shape loads into cells x repeats named from the cell; bad input is one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from szagents.errors import InputError
from szagents.studies.plan import plan_study
from szagents.run.budgets import budget_items
from szagents.studies.grid import load_study

ISSUE_SHAPE = """
[study]
name = "tiers"
runs_dir = "runs/tiers"
repeats = 2
budget = "iterations=8"
[grid]
task = ["szx-optimize-cpu"]
model = ["scripted:demo"]
tier = ["user", "expert"]
team = ["single"]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "study.toml"
    path.write_text(text)
    return path


def test_the_issue_shape_gives_cells_times_repeats_named_from_the_cell(tmp_path: Path):
    """2 tiers x 2 repeats = 4 runs under runs/tiers (relative to the file), budgets merged over the task's."""
    plan = plan_study(load_study(_write(tmp_path, ISSUE_SHAPE)))
    names = sorted(plan.configs)
    assert names == [f"szx-optimize-cpu__scripted_demo__{tier}__single__r{k}" for tier in ("expert", "user")
                     for k in (1, 2)]
    cell, config = plan.configs[names[0]]
    assert config.runs_dir == tmp_path / "runs" / "tiers"
    assert config.budgets.iterations == 8 and config.budgets.tokens == 2_000_000  # the rest: the task's
    assert config.team.models() == {"translator": "scripted:demo", "optimizer": "scripted:demo"}
    assert [r.status for r in plan.ledger.records.values()] == ["pending"] * 4 and len(plan.jobs()) == 4


@pytest.mark.parametrize("edit, message", [
    (("repeats = 2", "repeats = 0"), "study.repeats"),
    (('budget = "iterations=8"', 'budget = "iters=8"'), "iters=8"),
    (('model = ["scripted:demo"]', 'model = ["demo"]'), "provider:model"),
    (('tier = ["user", "expert"]', 'tier = ["novice"]'), "grid.tier"),
    (("[grid]", "colour = 1\n[grid]"), "study.colour"),
])
def test_bad_study_files_name_the_value(tmp_path: Path, edit: tuple[str, str], message: str):
    """Each mistake raises InputError naming the field or value."""
    with pytest.raises(InputError, match=message):
        load_study(_write(tmp_path, ISSUE_SHAPE.replace(*edit)))


def test_budget_strings():
    """iterations, tokens, wall (seconds) are understood; anything else is refused."""
    assert budget_items("iterations=8, wall=600,tokens=1e5") == {"iterations": 8, "wall_seconds": 600, "tokens": 1e5}
    with pytest.raises(InputError):
        budget_items("iterations")


@pytest.mark.slow
def test_dry_run_prints_cells_and_the_worst_case_budget(tmp_path: Path):
    """A priced model: worst case = tokens budget x the dearer price per run (2 runs x 1e6 x $10/M = $20)."""
    text = ISSUE_SHAPE.replace('model = ["scripted:demo"]', 'model = ["openai:gpt-5.1-codex"]').replace(
        'tier = ["user", "expert"]', 'tier = ["user"]').replace('"iterations=8"', '"iterations=8,tokens=1000000"')
    done = subprocess.run([sys.executable, "-m", "szagents.cli", "study", str(_write(tmp_path, text)), "--dry-run"],
                          capture_output=True, text=True, timeout=120, env={"COLUMNS": "200", "PATH": "/usr/bin"})
    assert done.returncode == 0, done.stderr
    assert "2 runs" in done.stdout and "16 LLM calls" in done.stdout and "$20.00" in done.stdout
    assert not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_cli_bad_file_is_exit_2_with_one_line(tmp_path: Path):
    """A usage error is one line on the console and exit code 2."""
    done = subprocess.run([sys.executable, "-m", "szagents.cli", "study", str(_write(tmp_path, "[study]\nname=1\n"))],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "400"})
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1  # errors go to stderr
    assert done.stderr.startswith("error: study file") and "study.name" in done.stderr
