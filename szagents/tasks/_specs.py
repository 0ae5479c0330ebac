"""Parsing of the pieces of dataset spec strings: query parameters, dims, dtype, seed."""

from __future__ import annotations

from szagents.errors import TaskError

__all__ = ["DTYPE_NAMES", "SHORT_DTYPE", "parse_query", "parse_dims", "parse_dtype", "parse_seed"]

DTYPE_NAMES = {"f32": "float32", "float32": "float32", "f64": "float64", "float64": "float64"}
SHORT_DTYPE = {"float32": "f32", "float64": "f64"}


def parse_query(query: str, allowed: tuple[str, ...], spec: str) -> dict[str, str]:
    """Parse 'k=v&k=v', rejecting unknown, repeated or value-less keys."""
    pairs: dict[str, str] = {}
    for item in filter(None, query.split("&")):
        key, eq, value = item.partition("=")
        if not eq or key not in allowed or key in pairs:
            raise TaskError(
                f"bad parameter {item!r} in dataset spec {spec!r}; it takes "
                f"{', '.join(allowed)}, each at most once as key=value joined by &"
            )
        pairs[key] = value
    return pairs


def parse_dims(text: str, spec: str) -> tuple[int, ...]:
    """'100x500x500' -> (100, 500, 500)."""
    parts = text.split("x")
    if not all(p.isascii() and p.isdigit() and int(p) > 0 for p in parts):
        raise TaskError(
            f"bad dims {text!r} in dataset spec {spec!r}: use positive integers joined by x, "
            "e.g. 100x500x500 (numpy order, slowest axis first)"
        )
    return tuple(int(p) for p in parts)


def parse_dtype(text: str, spec: str) -> str:
    """'f32' or 'float32' -> 'float32', likewise for 64 bits."""
    if text not in DTYPE_NAMES:
        raise TaskError(f"bad dtype {text!r} in dataset spec {spec!r}: use f32 or f64")
    return DTYPE_NAMES[text]


def parse_seed(text: str, spec: str) -> int:
    """A non-negative integer seed."""
    if not (text.isascii() and text.isdigit()):
        raise TaskError(f"bad seed {text!r} in dataset spec {spec!r}: use a non-negative integer")
    return int(text)
