"""One budget for a whole search: LLM calls, tokens, wall time and cost, shared by every candidate.

Every model call of every candidate goes through `SharedBudget.invoke` (the `meter` hook of
roles.llm.call_model): a seat among `concurrency` calls in flight is taken, the call is admitted
only while calls (those made plus those in flight), tokens, cost and wall time are below their
limits, and its usage is charged when it returns. Admission and the in-flight count change under
one lock, so N concurrent candidates can never start more calls than the budget holds. Tokens and
cost are charged after a call, as for teams: the last admitted calls may overshoot by their own size.

Resume: the meter starts from the calls already in the trajectory (`charge_recorded`); a call
reused from the recording on resume is never charged twice (call_model returns it before the meter).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from langchain_core.messages import AIMessage

from szagents.models.calls import invoke_bounded
from szagents.models.pricing import PriceTable, cost_usd
from szagents.roles.budget import BudgetSpent
from szagents.tasks.task import Budgets

__all__ = ["SharedBudget"]


class SharedBudget:
    """Thread-safe meter of a search's calls, tokens, cost and wall time (see the module docstring)."""

    def __init__(self, budgets: Budgets, *, cost_usd_limit: float | None = None, concurrency: int = 4,
                 prices: PriceTable | None = None, elapsed_s: float = 0.0) -> None:
        self.budgets, self.cost_limit, self.prices = budgets, cost_usd_limit, prices
        self._lock = threading.Lock()
        self._seats = threading.BoundedSemaphore(concurrency)
        self._calls = self._in_flight = 0
        self._tokens: dict[str, list[int]] = {}  # model spec -> [input, output]
        self._start = time.monotonic() - elapsed_s

    # -- what has been spent --------------------------------------------------------------
    def elapsed(self) -> float:
        """Wall seconds of the search, earlier sessions included."""
        return time.monotonic() - self._start

    def deadline(self) -> float:
        """The time.monotonic() instant at which the wall budget ends."""
        return self._start + self.budgets.wall_seconds

    def totals(self) -> dict[str, Any]:
        """calls, input/output tokens, cost (None: a model without a price) and tokens per model."""
        with self._lock:
            usage = {m: (t[0], t[1]) for m, t in self._tokens.items()}
            calls = self._calls
        return {"calls": calls, "input_tokens": sum(u[0] for u in usage.values()),
                "output_tokens": sum(u[1] for u in usage.values()), "tokens_by_model": usage,
                "cost_usd": cost_usd(self.prices, usage) if self.prices is not None else None}

    def _spent_reason(self) -> str | None:
        """The first budget used up (calls in flight count as made), else None; caller holds the lock."""
        if self._calls + self._in_flight >= self.budgets.iterations:
            return "budget_iterations"
        if sum(sum(t) for t in self._tokens.values()) >= self.budgets.tokens:
            return "budget_tokens"
        if self.cost_limit is not None and self.prices is not None:
            spent = cost_usd(self.prices, {m: (t[0], t[1]) for m, t in self._tokens.items()})
            if spent is not None and spent >= self.cost_limit:
                return "budget_cost"
        if self.elapsed() >= self.budgets.wall_seconds:
            return "budget_wall"
        return None

    def stop_reason(self) -> str | None:
        """Why no further call would be admitted now, else None."""
        with self._lock:
            return self._spent_reason()

    # -- charging ----------------------------------------------------------------------------
    def charge(self, model: str, input_tokens: int, output_tokens: int, calls: int = 1) -> None:
        """Count calls and their tokens against the budget."""
        with self._lock:
            self._calls += calls
            entry = self._tokens.setdefault(model, [0, 0])
            entry[0] += input_tokens
            entry[1] += output_tokens

    def charge_recorded(self, events: Iterable[Any]) -> None:
        """Count the llm_call events of an earlier session of this search."""
        for event in events:
            if getattr(event, "event", None) == "llm_call":
                self.charge(event.model, event.input_tokens, event.output_tokens)

    def _admit(self) -> None:
        with self._lock:
            reason = self._spent_reason()
            if reason is not None:
                raise BudgetSpent(reason)
            self._in_flight += 1

    def for_model(self, spec: str) -> Callable[..., AIMessage]:
        """An invoke_bounded-compatible callable whose calls are metered and priced as model spec."""
        return lambda model, messages, **options: self.invoke(spec, model, messages, **options)

    def invoke(self, spec: str, model: Any, messages: Sequence[Any], *, deadline: float | None = None,
               **options: Any) -> AIMessage:
        """invoke_bounded under the shared budget: a seat, admission, the call (by the shared deadline), the charge.

        Raises BudgetSpent when a budget is used up before the call starts (nothing is sent). A call
        that gets no answer (deadline, provider failure) is not counted, as for teams.
        """
        with self._seats:
            self._admit()
            reply: AIMessage | None = None
            try:
                limit = self.deadline() if deadline is None else min(deadline, self.deadline())
                reply = invoke_bounded(model, messages, deadline=limit, **options)
                return reply
            finally:
                with self._lock:
                    self._in_flight -= 1
                if reply is not None:
                    meta = reply.usage_metadata or {}
                    self.charge(spec, int(meta.get("input_tokens", 0)), int(meta.get("output_tokens", 0)))
