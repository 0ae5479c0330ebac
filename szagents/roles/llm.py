"""One logged model call of a role: bounded, retried, recorded before it is acted on, never repeated.

Exactly once: the llm_call event (with the full response) is written as soon as the reply
arrives, before any tool runs. A step killed after that point is re-run on resume; the call with
the same (role, iteration) is then found in ctx.recorded and its response reused, so the
trajectory, the state's totals and a replay all see each call once.
"""

from __future__ import annotations

import time
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage

from szagents.models.calls import DeadlineReached, ProviderError, invoke_bounded
from szagents.models.faults import Fault
from szagents.models.records import message_to_record, record_to_message
from szagents.roles.context import RunContext
from szagents.trajectory.events import ErrorEvent, LlmCall

__all__ = ["call_model", "deadline_of", "usage_of"]


def deadline_of(ctx: RunContext, elapsed_s: float) -> float:
    """The time.monotonic() instant at which the run's wall budget ends, given the time spent so far."""
    return time.monotonic() + ctx.budgets.wall_seconds - elapsed_s


def usage_of(reply: AIMessage) -> tuple[int, int]:
    """(input, output) tokens a reply reports."""
    usage = reply.usage_metadata or {}
    return int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))


def _retry_notice(ctx: RunContext, role: str):  # noqa: ANN202 - an on_retry callback
    def notice(fault: Fault, attempt: int, wait_s: float, used_s: float) -> None:
        ctx.sink.emit(ErrorEvent(
            run_id=ctx.run_id, kind="model_retry", error_class=fault.error_class,
            message=f"{role}: {fault.error_class} ({fault.message}); retry {attempt} in {wait_s:.1f} s "
                    f"({used_s:.1f} of {ctx.call_policy.retry_total_s:.0f} s retry budget used)"))
    return notice


def call_model(ctx: RunContext, role: str, messages: list[AnyMessage], iteration: int,
               deadline: float) -> AIMessage | None:
    """The role's reply to messages (recorded one if this call was already made); None at the deadline.

    A provider failure that retries cannot fix is logged as an error event and raised as ProviderError.
    """
    recorded = ctx.recorded.get((role, iteration))
    if recorded is not None:
        return record_to_message(recorded)
    start = time.perf_counter()
    try:
        invoke = invoke_bounded if ctx.meter is None else ctx.meter.for_model(ctx.team.models()[role])
        reply = invoke(ctx.models[role], messages, policy=ctx.call_policy, deadline=deadline,
                       on_retry=_retry_notice(ctx, role))
    except DeadlineReached:
        ctx.sink.emit(ErrorEvent(run_id=ctx.run_id, kind="budget_wall", message=(
            f"{role}: wall budget of {ctx.budgets.wall_seconds:.0f} s reached while waiting for the model "
            f"({time.perf_counter() - start:.1f} s into the call); the call was abandoned")))
        return None
    except ProviderError as exc:
        ctx.sink.emit(ErrorEvent(run_id=ctx.run_id, kind="provider_error", error_class=exc.error_class,
                                 message=f"{role}: {exc}"))
        raise
    tokens_in, tokens_out = usage_of(reply)
    record: dict[str, Any] = message_to_record(reply)
    ctx.sink.emit(LlmCall(
        run_id=ctx.run_id, role=role, model=ctx.team.models()[role], iteration=iteration,
        input_tokens=tokens_in, output_tokens=tokens_out, latency_s=time.perf_counter() - start,
        request_messages=len(messages), response=record,
    ))
    ctx.recorded[(role, iteration)] = record
    return reply
