"""Parsing and checking of CLI values: each bad value becomes one line naming it and the fix."""

from __future__ import annotations

import difflib
import math
from typing import TYPE_CHECKING, Any

from szagents.errors import SzAgentsError

if TYPE_CHECKING:
    from rich.console import Console

    from szagents.tasks.task import Budgets

__all__ = ["TIERS", "TEAMS", "APIS", "RUN_BUDGET_KEYS", "choice", "budget_items", "parse_budgets", "check_rel", "positive", "make_console"]

TIERS = ("user", "knowledgeable", "expert")
TEAMS = ("single", "multi")
APIS = ("auto", "responses", "chat")
RUN_BUDGET_KEYS = {"iterations": ("iterations", True), "tokens": ("tokens", True), "wall": ("wall_seconds", False),
                   "wall_seconds": ("wall_seconds", False)}
"""--budget key of a run -> (Budgets field, whole number?)"""


def choice(option: str, value: str, allowed: tuple[str, ...]) -> str:
    """value if it is one of allowed, else a one-line error."""
    if value not in allowed:
        raise SzAgentsError(f"bad {option} {value!r}; use one of: {', '.join(allowed)}")
    return value


def budget_items(text: str, keys: dict[str, tuple[str, bool]], example: str) -> dict[str, float]:
    """'key=value,...' as {field: number}; a bad item is a one-line error naming the key or value and the fix."""
    found: dict[str, float] = {}
    for item in text.split(","):
        key, _, value = (part.strip() for part in item.partition("="))
        if key not in keys:
            close = difflib.get_close_matches(key, list(keys), n=1)
            guess = f" (did you mean {close[0]!r}?)" if close else ""
            raise SzAgentsError(f"bad --budget item {item!r}: unknown key {key!r}{guess}; keys: {', '.join(keys)}; "
                                f"e.g. --budget {example}")
        field, whole = keys[key]
        found[field] = _number(item, value, whole, example)
    return found


def _number(item: str, value: str, whole: bool, example: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise SzAgentsError(f"bad --budget item {item!r}: {value!r} is not a number; e.g. --budget {example}") from None
    if not math.isfinite(number) or number <= 0 or (whole and number != int(number)):
        kind = "a positive whole number" if whole else "a positive number"
        raise SzAgentsError(f"bad --budget item {item!r}: must be {kind}; e.g. --budget {example}")
    return number


def parse_budgets(text: str | None, base: dict[str, Any]) -> Budgets | None:
    """--budget iterations=40,tokens=2e6,wall=3600 over base (a Budgets dump); None when text is empty."""
    from szagents.tasks.task import Budgets

    if not text:
        return None
    merged = {**base, **budget_items(text, RUN_BUDGET_KEYS, "iterations=40,tokens=2000000,wall=3600")}
    return Budgets(**{k: int(v) if k != "wall_seconds" else float(v) for k, v in merged.items()})


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
