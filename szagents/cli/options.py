"""Parsing and checking of CLI values: each bad value becomes one line naming it and the fix."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from szagents.errors import SzAgentsError

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["TEAMS", "APIS", "TIMEOUT_HELP", "choice", "check_rel", "positive", "make_console"]

TEAMS = ("single", "multi")
APIS = ("auto", "responses", "chat")
TIMEOUT_HELP = "wall-clock limit in seconds of one harness child (validation + benchmark); default: the backend's (120 s)"
def choice(option: str, value: str, allowed: tuple[str, ...]) -> str:
    """value if it is one of allowed, else a one-line error."""
    if value not in allowed:
        raise SzAgentsError(f"bad {option} {value!r}; use one of: {', '.join(allowed)}")
    return value


def check_rel(values: list[float] | None) -> list[float] | None:
    """Relative error bounds: finite numbers in (0, 1)."""
    for value in values or []:
        if not (math.isfinite(value) and 0 < value < 1):
            raise SzAgentsError(f"bad --rel {value!r}: a relative error bound must be a number in (0, 1), e.g. --rel 1e-3")
    return values


def positive(option: str, value: float | None) -> float | None:
    """value if it is None or a finite positive number."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise SzAgentsError(f"bad {option} {value!r}: give a positive number of seconds")
    return value


def make_console(stderr: bool = False) -> Console:
    """A console as wide as the terminal; piped, $COLUMNS or 80 columns (tables shrink their text columns,
    ids are never wrapped; a compile command stays on one line so it can be copied)."""
    from rich.console import Console

    return Console(stderr=stderr)
