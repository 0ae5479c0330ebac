"""Search graph state (plain data a checkpoint restores) and the search's run_end."""

from __future__ import annotations

from typing import Annotated, Any

from typing_extensions import TypedDict

from szagents.roles.state import merge_dicts
from szagents.strategies.context import SearchContext
from szagents.trajectory.events import RunEnd

__all__ = ["SearchState", "search_run_end", "summary_of"]


class SearchState(TypedDict, total=False):
    """What a strategy graph carries between nodes."""

    run_id: str
    generation: int
    planned: list[dict[str, Any]]  # this generation's candidates: {"candidate", "parent", "inspirations", "island"}
    results: Annotated[dict[str, dict[str, Any]], merge_dicts]  # candidate -> CandidateResult fields
    database: dict[str, Any]  # evolve: ProgramDatabase dump
    best: int | None  # revision number of the search's best correct revision
    revisions: list[dict[str, Any]]  # the best revision's summary (what RunOutcome.best reads)
    stop_reason: str | None
    elapsed_seconds: float
    iterations: dict[str, int]  # role -> LLM calls of the whole search


def summary_of(ctx: SearchContext, number: int | None) -> dict[str, Any] | None:
    """The summary dict of a stored revision (None: none)."""
    if number is None:
        return None
    keys = ("number", "role", "action", "sha256", "files", "verdict", "correct", "compress_gbps", "decompress_gbps",
            "ratio", "compress_cv", "decompress_cv", "reused_from")
    return ctx.revisions.get(number).model_dump(include=set(keys))


def search_run_end(ctx: SearchContext, state: SearchState, stop_reason: str) -> RunEnd:
    """The run_end of a search: the shared budget's totals and the best revision over all candidates."""
    totals = ctx.meter.totals()
    best = summary_of(ctx, state.get("best"))
    return ctx.sink.emit(RunEnd(
        run_id=ctx.run_id, stop_reason=stop_reason, iterations=dict(state.get("iterations") or {}),
        input_tokens=totals["input_tokens"], output_tokens=totals["output_tokens"], wall_seconds=ctx.meter.elapsed(),
        best_revision=best["number"] if best else None, best_compress_gbps=best["compress_gbps"] if best else None,
        best_decompress_gbps=best["decompress_gbps"] if best else None, best_ratio=best["ratio"] if best else None,
        cost_usd=totals["cost_usd"], tokens_by_model={m: list(t) for m, t in totals["tokens_by_model"].items()},
    ))
