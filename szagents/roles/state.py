"""Graph state: plain serializable data a checkpoint must restore (no handles)."""

from __future__ import annotations

from typing import Annotated, Any

from langchain_core.messages import AnyMessage
from typing_extensions import TypedDict  # pydantic (LangGraph Studio's schemas) rejects typing.TypedDict before 3.12

__all__ = ["AgentState", "merge_dicts", "initial_state"]


def merge_dicts(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    """Reducer: keys of right replace those of left."""
    return {**(left or {}), **(right or {})}


class AgentState(TypedDict, total=False):
    """What the graph carries between nodes; every field survives a checkpoint."""

    run_id: str
    active_role: str  # the author whose turn it is: translator or optimizer
    conversations: Annotated[dict[str, list[AnyMessage]], merge_dicts]  # conversation key -> messages
    iterations: Annotated[dict[str, int], merge_dicts]  # role -> LLM calls so far
    input_tokens: int
    output_tokens: int
    elapsed_seconds: float  # wall time spent in nodes, accumulated across resumes
    submission: dict[str, str] | None  # {"role", "action"} waiting for the validator
    feedback: Annotated[dict[str, str], merge_dicts]  # role -> message for its next turn
    revisions: list[dict[str, Any]]  # one summary per submitted revision
    best: int | None  # number of the best correct revision
    stale: int  # correct revisions in a row that did not beat the best
    stop_reason: str | None
    invalid_streak: int  # author turns in a row whose tool calls were all unparseable


def initial_state(run_id: str, first_role: str) -> AgentState:
    """State at the start of a run."""
    return AgentState(
        run_id=run_id, active_role=first_role, conversations={}, iterations={}, input_tokens=0,
        output_tokens=0, elapsed_seconds=0.0, submission=None, feedback={}, revisions=[], best=None,
        stale=0, stop_reason=None,
    )
