"""Bounded model calls: a per-call timeout, retries of transient faults within a total time, a deadline.

Every attempt runs in a daemon thread joined with a timeout, so a hung server (or a client that
ignores its own timeout) cannot hold the run past its deadline; an abandoned attempt finishes or
dies in the background and its answer is ignored. Provider clients should be built with
max_retries=0 so that this loop alone decides (and reports) what is retried.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage

from szagents.errors import SzAgentsError
from szagents.models.faults import Fault, classify

__all__ = ["CallPolicy", "DeadlineReached", "ProviderError", "invoke_bounded"]


@dataclass(frozen=True)
class CallPolicy:
    """Timeouts and retry bounds of one logical model call."""

    attempt_timeout_s: float = 600.0  # one HTTP attempt (also capped by the deadline)
    retry_total_s: float = 180.0  # time allowed for retrying transient faults, from the first failure
    max_attempts: int = 8
    backoff_s: float = 1.0  # first wait; doubles, capped at backoff_max_s (a server's retry-after wins)
    backoff_max_s: float = 30.0


class ProviderError(SzAgentsError):
    """A model call failed for good (not transient, or retries used up); error_class says why."""

    def __init__(self, fault: Fault, attempts: int) -> None:
        self.fault, self.attempts = fault, attempts
        super().__init__(f"model provider error ({fault.error_class}) after {attempts} attempt(s): {fault.message}")

    @property
    def error_class(self) -> str:
        """auth, network, rate_limit, server, bad_response, model_not_found, timeout, ..."""
        return self.fault.error_class


class DeadlineReached(Exception):
    """The wall budget ran out before the model answered."""


def _attempt(model: Any, messages: Sequence[Any], timeout_s: float) -> AIMessage:
    """One invoke in a daemon thread; TimeoutError if it does not finish within timeout_s."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["reply"] = model.invoke(list(messages))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=target, name="szagents-model-call", daemon=True)
    worker.start()
    worker.join(max(timeout_s, 0.0))
    if worker.is_alive():
        raise TimeoutError(f"no answer within {timeout_s:.1f} s")
    if "error" in box:
        raise box["error"]
    reply = box.get("reply")
    if not isinstance(reply, AIMessage):
        raise TypeError(f"the model returned {type(reply).__name__}, not a chat message")
    return reply


def _wait_for(fault: Fault, attempt: int, policy: CallPolicy) -> float:
    """Seconds to wait before the next attempt."""
    if fault.retry_after_s is not None:
        return max(fault.retry_after_s, 0.0)
    return min(policy.backoff_s * 2 ** (attempt - 1), policy.backoff_max_s)


def invoke_bounded(
    model: Any, messages: Sequence[Any], *, policy: CallPolicy, deadline: float | None = None,
    on_retry: Callable[[Fault, int, float, float], None] | None = None,
) -> AIMessage:
    """model.invoke(messages) within the policy; deadline is a time.monotonic() instant.

    Raises DeadlineReached when the deadline passes (during a call or a wait), ProviderError when
    a fault is not transient or the retry budget (attempts, total seconds) is used up.
    on_retry(fault, attempt, wait_s, retry_seconds_used) is told before each wait.
    """
    first_failure: float | None = None
    for attempt in range(1, policy.max_attempts + 1):
        now = time.monotonic()
        left = None if deadline is None else deadline - now
        if left is not None and left <= 0:
            raise DeadlineReached()
        timeout = policy.attempt_timeout_s if left is None else min(policy.attempt_timeout_s, left)
        try:
            return _attempt(model, messages, timeout)
        except Exception as exc:  # noqa: BLE001 - every provider fault is classified below
            if deadline is not None and time.monotonic() >= deadline:
                raise DeadlineReached() from exc
            fault = classify(exc)
        first_failure = first_failure if first_failure is not None else now
        used = time.monotonic() - first_failure
        wait = _wait_for(fault, attempt, policy)
        if not fault.transient or attempt == policy.max_attempts or used + wait > policy.retry_total_s:
            raise ProviderError(fault, attempt)
        if deadline is not None and time.monotonic() + wait >= deadline:
            raise DeadlineReached()
        if on_retry is not None:
            on_retry(fault, attempt, wait, used)
        time.sleep(wait)
    raise AssertionError("unreachable")  # the loop returns or raises on its last attempt
