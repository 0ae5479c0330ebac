"""Budget strings, 'iterations=40,tokens=2000000,wall=3600': the one parser of `--budget` options and study files."""

from __future__ import annotations

import difflib
import math

from szagents.errors import InputError
from szagents.tasks.task import Budgets

__all__ = ["BUDGET_EXAMPLE", "BUDGET_KEYS", "budget_items", "parse_budgets"]

BUDGET_KEYS = {"iterations": ("iterations", True), "tokens": ("tokens", True), "wall": ("wall_seconds", False),
               "wall_seconds": ("wall_seconds", False)}
"""A run's budget key -> (Budgets field, whole number?)"""

BUDGET_EXAMPLE = "--budget iterations=40,tokens=2000000,wall=3600"


def budget_items(text: str, keys: dict[str, tuple[str, bool]] = BUDGET_KEYS, example: str = BUDGET_EXAMPLE,
                 name: str = "--budget") -> dict[str, float]:
    """'key=value,...' as {field: number} (blank items skipped); a bad item is an InputError naming the key or
    value, the keys and an example (name: what the text was given as, e.g. '--budget')."""
    found: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, _, value = (part.strip() for part in item.partition("="))
        if key not in keys:
            close = difflib.get_close_matches(key, list(keys), n=1)
            guess = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(f"bad {name} item {item!r}: unknown key {key!r}{guess}; keys: {', '.join(keys)}; "
                             f"e.g. {example}")
        field, whole = keys[key]
        found[field] = _number(f"bad {name} item {item!r}", value, whole, example)
    return found


def _number(bad: str, value: str, whole: bool, example: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise InputError(f"{bad}: {value!r} is not a number; e.g. {example}") from None
    if not math.isfinite(number) or number <= 0 or (whole and number != int(number)):
        kind = "a positive whole number" if whole else "a positive number"
        raise InputError(f"{bad}: must be {kind}; e.g. {example}")
    return number


def parse_budgets(text: str | None, base: Budgets, *, example: str = BUDGET_EXAMPLE,
                  name: str = "--budget") -> Budgets | None:
    """text's budgets over base (the task's, or the run's); None when text is empty."""
    if not text:
        return None
    merged = {**base.model_dump(), **budget_items(text, BUDGET_KEYS, example, name)}
    return Budgets(iterations=int(merged["iterations"]), tokens=int(merged["tokens"]),
                   wall_seconds=float(merged["wall_seconds"]))
