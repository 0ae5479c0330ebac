"""The models of a run: built from the team's specs with the run's options, checked before anything is spent.

- openai: models get base_url, the chosen API (`api`: auto / responses / chat), the per-call
  timeout and max_retries=0 (szagents retries, bounded, itself: models/calls.py).
- `replay:<run>` without `#role` replays each role's own recorded calls (`#<role>` is added), so a
  multi-agent run is reproduced by default; `replay_team` rebuilds the recorded team.
- Pre-flight: one tiny request per hosted model (not scripted or replay) through the same bounded
  call, so a bad key, an unknown model or an API the server lacks stops the start before the
  baseline is measured. Its tokens are not counted in the run.
- Rate limits: a provider the study limits gets a `ProviderLimiter` on each of its models, drawing
  on the study's shared window (models/ratelimit.py); waits go to `RateWaitLog` as events.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage

from szagents.models import make_model, parse_spec
from szagents.models.calls import CallPolicy, invoke_bounded
from szagents.roles.team import Team
from szagents.run.config import RunConfig
from szagents.models.ratelimit import RATE_DIR, ProviderLimiter, RateLimit, TokenTally, WindowLog
from szagents.models.replay import trajectory_path
from szagents.trajectory.events import RateLimitWait
from szagents.trajectory.reader import read_events

__all__ = ["LOCAL_PROVIDERS", "RateWaitLog", "attach_rate_limit", "build_models", "call_policy", "model_options", "preflight",
           "replay_team", "role_spec"]

OnWait = Callable[[str, str, RateLimit, float], None]  # (role, provider, limit, seconds waited)

LOCAL_PROVIDERS = ("scripted", "replay")
PREFLIGHT_PROMPT = "Reply with the single word OK."


def call_policy(config: RunConfig) -> CallPolicy:
    """Per-call timeout and retry budget of the run's model calls."""
    return CallPolicy(attempt_timeout_s=config.call_timeout_s, retry_total_s=config.retry_seconds)


def role_spec(spec: str, role: str) -> str:
    """The spec a role's model is built from: replay specs select that role's recorded calls."""
    if spec.startswith("replay:") and "#" not in spec:
        return f"{spec}#{role}"
    return spec


def model_options(config: RunConfig, provider: str) -> dict[str, object]:
    """The factory options of a provider's models in config's run (base_url, API, timeout, no retries)."""
    if provider == "openai":
        responses = {"auto": None, "responses": True, "chat": False}[config.api]
        return {"base_url": config.base_url, "responses": responses, "timeout": config.call_timeout_s, "max_retries": 0}
    if provider == "google_genai":
        return {"timeout": config.call_timeout_s, "max_retries": 0}
    return {}


class RateWaitLog:
    """An OnWait that emits rate_limit_wait events once the run's sink is set (earlier waits go unlogged)."""

    def __init__(self, run_id: str) -> None:
        self.run_id, self.sink = run_id, None

    def __call__(self, role: str, provider: str, limit: RateLimit, seconds: float) -> None:
        if self.sink is not None:
            self.sink.emit(RateLimitWait(run_id=self.run_id, role=role, provider=provider, wait_s=round(seconds, 4),
                                         requests_per_minute=limit.requests_per_minute,
                                         tokens_per_minute=limit.tokens_per_minute, window_s=limit.window_s))


def attach_rate_limit(model: Any, config: RunConfig, provider: str, role: str, on_wait: OnWait | None) -> None:
    """Attach the study's shared rate limit of provider (if any) to model, as LangChain's rate_limiter."""
    limit = config.rate_limits.get(provider)
    if limit is None:
        return
    log = WindowLog(Path(config.runs_dir) / RATE_DIR / f"{provider}.json", limit)
    model.rate_limiter = ProviderLimiter(log, None if on_wait is None else
                                         lambda seconds: on_wait(role, provider, limit, seconds))
    if limit.tokens_per_minute is not None:
        model.callbacks = [*(model.callbacks or []), TokenTally(log)]


def build_models(config: RunConfig, on_wait: OnWait | None = None) -> dict[str, BaseChatModel]:
    """role -> chat model (tools not bound yet), the reviewer as role 'validator'; rate limits attached."""
    models = {}
    for role, spec in config.team.models().items():
        spec = role_spec(spec, role)
        provider = parse_spec(spec)[0]
        models[role] = make_model(spec, **model_options(config, provider))
        attach_rate_limit(models[role], config, provider, role, on_wait)
    return models


def preflight(config: RunConfig, models: dict[str, BaseChatModel]) -> None:
    """One tiny call per distinct hosted model; raises ProviderError (classified) if one fails."""
    if not config.preflight:
        return
    checked: set[str] = set()
    policy = CallPolicy(attempt_timeout_s=min(config.call_timeout_s, 60.0), retry_total_s=min(config.retry_seconds, 30.0))
    for role, spec in config.team.models().items():
        if spec in checked or parse_spec(spec)[0] in LOCAL_PROVIDERS:
            continue
        checked.add(spec)
        invoke_bounded(models[role], [HumanMessage(PREFLIGHT_PROMPT)], policy=policy)


def replay_team(spec: str) -> Team | None:
    """The team of the run a replay: spec names, every role played by that spec; None if not a replay."""
    if not spec.startswith("replay:"):
        return None
    path = trajectory_path(spec.partition(":")[2].partition("#")[0])
    start = next((e for e in read_events(path) if e.event == "run_start"), None)
    if start is None:
        return None
    reviewer = spec if "validator" in start.models else None
    if start.team == "single":
        return Team.single(spec)
    return Team.multi(spec, spec, reviewer).model_copy(update={"name": start.team})

