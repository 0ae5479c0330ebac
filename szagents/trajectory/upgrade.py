"""Records of every format this version reads, as the current event models take them: the one upgrade path.

- Format 1 (before search strategies) lacks `candidate_id`: its default, None (the run itself), is right.
- Format 2 declared a validation's and a benchmark's `cases` and `environment` free dicts and their
  verdicts strings. Its writers (tools/events.py, also for the validator, MCP runs and Cerebras) wrote
  `model_dump(mode="json")` of the very results format 3 types (CaseResult, BenchmarkCase, Environment)
  and `Verdict` values, so those records are read as they are.
- In every format, a result's fields this version does not know are dropped: a free dict of format 1 or 2
  may hold a writer's own keys, and a newer szagents may add an optional field to a result without a new
  format (as it may to an event, whose unknown fields are kept as extras). A result that lacks a field the
  model needs, or a verdict that is none, still fails: the reader names the file and line.
"""

from __future__ import annotations

import types
from functools import cache
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from szagents.trajectory.events import EventBase

__all__ = ["upgrade"]


def upgrade(record: dict[str, Any], cls: type[EventBase]) -> dict[str, Any]:
    """record (an event of format 1 up to the current one) with the fields cls validates as the current format."""
    nested = _result_fields(cls)
    if not nested:
        return record
    return {key: _known_only(nested[key], value) if key in nested else value for key, value in record.items()}


@cache
def _result_fields(cls: type[BaseModel]) -> dict[str, Any]:
    """Field name -> annotation of every field of cls that holds a model (alone, in a list, or optional)."""
    return {name: field.annotation for name, field in cls.model_fields.items() if _holds_model(field.annotation)}


def _holds_model(annotation: Any) -> bool:
    return _is_model(annotation) or any(_holds_model(arg) for arg in get_args(annotation))


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _known_only(annotation: Any, value: Any) -> Any:
    """value with only the fields its model declares, nested results alike; anything else unchanged."""
    if _is_model(annotation) and isinstance(value, dict):
        fields = annotation.model_fields
        return {key: _known_only(fields[key].annotation, item) for key, item in value.items() if key in fields}
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is list and args and isinstance(value, list):
        return [_known_only(args[0], item) for item in value]
    if origin in (Union, types.UnionType):
        models = [arg for arg in args if _holds_model(arg)]
        return _known_only(models[0], value) if len(models) == 1 else value
    return value
