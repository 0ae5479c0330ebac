"""Per-provider request rate limits shared by every run of a study: threads, processes and nodes.

A study file's `[rate_limits]` table gives a provider a request rate:

```toml
[rate_limits]
openai = { requests_per_minute = 500, tokens_per_minute = 200000 }
google_genai = { requests_per_minute = 60, window_s = 10 }   # at most 10 calls in any 10 s
```

Requests are a sliding window: no `window_s` interval (default 60 s) holds more call starts than
`requests_per_minute * window_s / 60`; a smaller window spreads calls more evenly. Tokens are
counted when a call ends (its input + output tokens, as the provider reports them): a call starts
only while the tokens of the calls that ended in the last window are under
`tokens_per_minute * window_s / 60`, so calls in flight can overshoot it by their own tokens.

A provider's starts and token counts are kept in one small JSON file under the study's runs folder
(`.ratelimits/<provider>.json`), locked with flock for each check, so the local executor's threads,
Ray workers and Slurm jobs (on shared storage whose locks every node honours, with clocks in sync)
all draw on one window. A run's models get a `ProviderLimiter` through LangChain's `rate_limiter=`
field, so every attempt of every call (retries too) takes a start from the window, and a
`TokenTally` callback that adds each answer's tokens; the time a call waited is told to `on_wait`
(the run logs a `rate_limit_wait` event).
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult
from langchain_core.rate_limiters import BaseRateLimiter
from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["RATE_DIR", "ProviderLimiter", "RateLimit", "TokenTally", "WindowLog"]

RATE_DIR = ".ratelimits"  # under the study's runs folder


class RateLimit(BaseModel):
    """One provider's request and/or token rate, enforced over windows of window_s seconds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    requests_per_minute: float | None = Field(default=None, gt=0)
    tokens_per_minute: float | None = Field(default=None, gt=0)
    window_s: float = Field(default=60.0, gt=0)

    def _per_window(self, per_minute: float | None) -> int | None:
        return None if per_minute is None else math.floor(per_minute * self.window_s / 60 + 1e-9)

    @property
    def requests_per_window(self) -> int | None:
        """Call starts allowed in any window_s interval (None: unlimited)."""
        return self._per_window(self.requests_per_minute)

    @property
    def tokens_per_window(self) -> int | None:
        """Tokens of ended calls under which a call may start (None: unlimited)."""
        return self._per_window(self.tokens_per_minute)

    def describe(self) -> str:
        """'500 requests/min, 200000 tokens/min, over 60 s windows'."""
        rates = [f"{value:g} {what}/min" for value, what in ((self.requests_per_minute, "requests"),
                                                               (self.tokens_per_minute, "tokens")) if value]
        return f"{', '.join(rates)}, over {self.window_s:g} s windows"

    @model_validator(mode="after")
    def _window_holds_a_call(self) -> RateLimit:
        if self.requests_per_minute is None and self.tokens_per_minute is None:
            raise ValueError("give requests_per_minute and/or tokens_per_minute")
        if self.requests_per_window == 0:
            raise ValueError(f"requests_per_minute {self.requests_per_minute:g} allows no call in a window of "
                             f"{self.window_s:g} s; make window_s at least {60 / self.requests_per_minute:g}")
        if self.tokens_per_window == 0:
            raise ValueError(f"tokens_per_minute {self.tokens_per_minute:g} allows no token in a window of "
                             f"{self.window_s:g} s; raise it or window_s")
        return self


class WindowLog:
    """One provider's call starts and [end, tokens] of the last window, in a flock-locked JSON file."""

    def __init__(self, path: Path, limit: RateLimit, clock: Callable[[], float] = time.time) -> None:
        self.path, self.limit, self.clock = Path(path), limit, clock
        self.path.parent.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def _state(self) -> Iterator[tuple[float, dict[str, list[Any]]]]:
        """(now, the window's entries) under the lock; what the caller leaves in it is saved."""
        with open(self.path, "a+") as handle:  # a fresh open per check: flock excludes threads too
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.seek(0)
            text = handle.read()
            now = self.clock()
            try:
                saved = json.loads(text) if text.strip() else {}
            except ValueError:  # a write torn by a killed process: the window starts afresh
                saved = {}
            edge = now - self.limit.window_s
            state = {"starts": [t for t in saved.get("starts", []) if t > edge],
                     "tokens": [e for e in saved.get("tokens", []) if e[0] > edge]}
            yield now, state
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(state))
            handle.flush()

    def _wait_s(self, now: float, state: dict[str, list[Any]]) -> float:
        """Seconds until the window has room for one more start (0.0: now)."""
        window, waits = self.limit.window_s, [0.0]
        starts, most = sorted(state["starts"]), self.limit.requests_per_window
        if most is not None and len(starts) >= most:
            waits.append(starts[len(starts) - most] + window - now)
        used, most = sum(n for _, n in state["tokens"]), self.limit.tokens_per_window
        for end, count in sorted(state["tokens"]):  # the oldest counts leave the window first
            if most is None or used < most:
                break
            used -= count
            waits.append(end + window - now)
        return max(max(waits), 1e-3) if max(waits) > 0 else 0.0

    def try_take(self) -> float:
        """Take a start now and return 0.0; or, when the window is full, the seconds until it has room."""
        with self._state() as (now, state):
            wait = self._wait_s(now, state)
            if wait == 0.0:
                state["starts"].append(now)
            return wait

    def add_tokens(self, count: int) -> None:
        """Count a call's tokens as of now (its end)."""
        with self._state() as (now, state):
            state["tokens"].append([now, count])


class TokenTally(BaseCallbackHandler):
    """A LangChain callback that adds each answer's reported tokens (input + output) to a WindowLog."""

    def __init__(self, log: WindowLog) -> None:
        self.log = log

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        """Sum the usage of the answer's generations; nothing reported, nothing counted."""
        total = 0
        for generation in (g for group in response.generations for g in group):
            usage = getattr(getattr(generation, "message", None), "usage_metadata", None) or {}
            total += int(usage.get("input_tokens", 0)) + int(usage.get("output_tokens", 0))
        if total:
            self.log.add_tokens(total)


class ProviderLimiter(BaseRateLimiter):
    """LangChain rate limiter over a shared WindowLog; on_wait(seconds) hears of every call that waited."""

    def __init__(self, log: WindowLog, on_wait: Callable[[float], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self.log, self.on_wait, self.sleep, self.clock = log, on_wait, sleep, clock

    def _done(self, started: float, slept: bool) -> bool:
        if slept and self.on_wait is not None:
            self.on_wait(self.clock() - started)
        return True

    def acquire(self, *, blocking: bool = True) -> bool:
        """Block until the window has room for this call (or, not blocking, say whether it had)."""
        started, slept = self.clock(), False
        while (wait := self.log.try_take()) > 0:
            if not blocking:
                return False
            self.sleep(wait)
            slept = True
        return self._done(started, slept)

    async def aacquire(self, *, blocking: bool = True) -> bool:
        """acquire() for async callers; the file check itself is short and done inline."""
        started, slept = self.clock(), False
        while (wait := self.log.try_take()) > 0:
            if not blocking:
                return False
            await asyncio.sleep(wait)
            slept = True
        return self._done(started, slept)
