"""Per-provider request rate limits shared by every run of a study: threads, processes and nodes.

A study file's `[rate_limits]` table gives a provider a request rate:

```toml
[rate_limits]
openai = { requests_per_minute = 500 }
google_genai = { requests_per_minute = 60, window_s = 10 }   # at most 10 calls in any 10 s
```

The limit is a sliding window: no `window_s` interval (default 60 s) holds more call starts than
`requests_per_minute * window_s / 60`. A smaller window spreads calls more evenly. The starts of a
provider's calls are kept in one small JSON file under the study's runs folder
(`.ratelimits/<provider>.json`), locked with flock for each check, so the local executor's threads,
Ray workers and Slurm jobs (on shared storage whose locks every node honours, with clocks in sync)
all draw on one window. A run's models get a `ProviderLimiter` through LangChain's `rate_limiter=`
field, so every attempt of every call (retries too) takes a start from the window; the time a
call waited is told to `on_wait` (the run logs a `rate_limit_wait` event).
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import math
import time
from collections.abc import Callable
from pathlib import Path

from langchain_core.rate_limiters import BaseRateLimiter
from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["RATE_DIR", "ProviderLimiter", "RateLimit", "WindowLog"]

RATE_DIR = ".ratelimits"  # under the study's runs folder


class RateLimit(BaseModel):
    """One provider's request rate: requests_per_minute, enforced over windows of window_s seconds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    requests_per_minute: float = Field(gt=0)
    window_s: float = Field(default=60.0, gt=0)

    @property
    def requests_per_window(self) -> int:
        """Call starts allowed in any window_s interval."""
        return math.floor(self.requests_per_minute * self.window_s / 60 + 1e-9)

    @model_validator(mode="after")
    def _window_holds_a_call(self) -> RateLimit:
        if self.requests_per_window < 1:
            raise ValueError(f"requests_per_minute {self.requests_per_minute:g} allows no call in a window of "
                             f"{self.window_s:g} s; make window_s at least {60 / self.requests_per_minute:g}")
        return self


class WindowLog:
    """The call starts of one provider within the last window, in a flock-locked JSON file."""

    def __init__(self, path: Path, limit: RateLimit, clock: Callable[[], float] = time.time) -> None:
        self.path, self.limit, self.clock = Path(path), limit, clock
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def try_take(self) -> float:
        """Take a start now and return 0.0; or, when the window is full, the seconds until one frees."""
        with open(self.path, "a+") as handle:  # a fresh open per check: flock excludes threads too
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.seek(0)
            text = handle.read()
            now = self.clock()
            starts = [t for t in (json.loads(text) if text.strip() else []) if t > now - self.limit.window_s]
            if len(starts) >= self.limit.requests_per_window:
                return max(min(starts) + self.limit.window_s - now, 1e-3)
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(sorted([*starts, now])))
            handle.flush()
            return 0.0


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
