"""Run ids: the name of a run's folder, checked where it is given (the CLI checks it before the agent stack loads)."""

from __future__ import annotations

import re

__all__ = ["RUN_ID_PATTERN", "check_run_id"]

RUN_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}"


def check_run_id(value: str) -> str:
    """value if it is empty (a run id is made) or a folder name; else ValueError naming the rule."""
    if value and (not re.fullmatch(RUN_ID_PATTERN, value) or ".." in value):
        raise ValueError(f"run id {value!r} is not a folder name: use letters, digits, '_', '-' and '.' "
                         "(no '/' or '..'), starting with a letter or digit")
    return value
