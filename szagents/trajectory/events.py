"""Typed, versioned trajectory events: one JSON object per line of trajectory.jsonl.

Every event carries `event` (the discriminator), `format_version`, `run_id`, `seq` (0, 1, 2, ...
within a run, continued across resumes) and `ts` (UTC ISO-8601). Analysis reads only these.
Harness results are carried as the typed results of `szagents.backends.results` (cases, environment,
verdicts). Adding an optional field, to an event or to a result it carries, keeps FORMAT_VERSION;
renaming or removing one bumps it. How older formats are read: `trajectory.upgrade`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

from szagents.backends.results import BenchmarkCase, CaseResult, Environment, Verdict

__all__ = [
    "FORMAT_VERSION",
    "EventBase",
    "RunStart",
    "RunEnd",
    "NodeEnter",
    "NodeExit",
    "LlmCall",
    "ToolCall",
    "CompileEvent",
    "ValidationEvent",
    "BenchmarkEvent",
    "RevisionEvent",
    "RollbackEvent",
    "ComparisonEvent",
    "RouteEvent",
    "ErrorEvent",
    "RateLimitWait",
    "RevisionVerdict",
    "Event",
    "EVENT_TYPES",
]

FORMAT_VERSION = 3
"""2: search strategies (candidate_id on every event; trajectory.search_events). 3: validation and benchmark
events carry typed results (cases as CaseResult / BenchmarkCase, environment as Environment) and every harness
verdict is a Verdict, where format 2 declared free dicts and strings (the same JSON as its writers wrote)."""

RevisionVerdict = Union[Verdict, Literal["unevaluated"]]
"""A revision's verdict: the harness's (or ratio_regression), or unevaluated (workspace.revisions: no evaluation)."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


class EventBase(BaseModel):
    """Fields every event has."""

    model_config = ConfigDict(extra="allow", frozen=True)

    event: str
    format_version: int = FORMAT_VERSION
    run_id: str
    seq: int = -1  # assigned by the writer
    ts: str = Field(default_factory=_now)
    candidate_id: str | None = None  # a search strategy's candidate that caused the event (None: the run itself)


class RunStart(EventBase):
    """A run (or a resumed run) begins."""

    event: Literal["run_start"] = "run_start"
    task_id: str
    kernel: str
    mode: str
    target: str
    variant: str
    team: str  # "single" or "multi" or a user-defined name
    tier: str
    models: dict[str, str]  # role -> model spec
    budgets: dict[str, float]
    resumed: bool = False
    szagents_version: str
    host: str = ""


class RunEnd(EventBase):
    """A run stops; stop_reason is budget_iterations, budget_tokens, budget_wall, budget_tool_calls (MCP), plateau,
    agent_stop, invalid_tool_calls, provider_error (error_class says which), interrupted, error; a custom graph's
    own reason (roles.finish_as, e.g. first_correct), or graph_end when its graph reached finish without one."""

    event: Literal["run_end"] = "run_end"
    stop_reason: str
    iterations: dict[str, int]
    input_tokens: int
    output_tokens: int
    wall_seconds: float
    best_revision: int | None = None
    best_compress_gbps: float | None = None
    best_decompress_gbps: float | None = None
    best_ratio: float | None = None
    error_class: str | None = None  # provider_error: auth, network, rate_limit, server, ... (models/faults.py)
    cost_usd: float | None = None  # tokens x the price table (szagents/prices.toml); None: a model without a price
    tokens_by_model: dict[str, list[int]] | None = None  # model spec -> [input_tokens, output_tokens]


class NodeEnter(EventBase):
    """A graph node starts."""

    event: Literal["node_enter"] = "node_enter"
    node: str
    role: str | None = None


class NodeExit(EventBase):
    """A graph node ends; changes holds a compact summary of the state update."""

    event: Literal["node_exit"] = "node_exit"
    node: str
    role: str | None = None
    duration_s: float
    changes: dict[str, Any] = Field(default_factory=dict)


class LlmCall(EventBase):
    """One model call (one 'reasoning iteration'); response is the message, for replay."""

    event: Literal["llm_call"] = "llm_call"
    role: str
    model: str
    iteration: int  # per-role count, 1-based
    input_tokens: int = 0
    output_tokens: int = 0
    latency_s: float
    request_messages: int
    response: dict[str, Any]  # {"content": ..., "tool_calls": [{"name", "args", "id"}], ...}


class ToolCall(EventBase):
    """One tool invocation by an agent."""

    event: Literal["tool_call"] = "tool_call"
    role: str
    tool: str
    call_id: str = ""
    args: dict[str, Any]
    ok: bool
    output: str  # as given to the model (already sized for the context)
    duration_s: float
    agent: str | None = None  # an MCP client's name/version from its handshake (None: an in-process model)


class CompileEvent(EventBase):
    """A compile of the workspace (by a tool or the validator)."""

    event: Literal["compile"] = "compile"
    by: str  # "tool" or "validator"
    ok: bool
    cached: bool
    compile_seconds: float
    content_sha256: str
    command: list[str]
    log_excerpt: str = ""
    sdk_version: str | None = None  # cerebras: the SDK that compiled
    isolation: str | None = None  # "bwrap" or "rlimits-only": how the untrusted work was confined


class ValidationEvent(EventBase):
    """A harness validation result."""

    event: Literal["validation"] = "validation"
    by: str
    verdict: Verdict
    detail: str = ""
    cases: list[CaseResult] = Field(default_factory=list)
    wall_seconds: float = 0.0
    sdk_version: str | None = None  # cerebras: the SDK that ran it
    isolation: str | None = None  # "bwrap" or "rlimits-only": how the untrusted work was confined


class BenchmarkEvent(EventBase):
    """A harness benchmark result: every case and where it was measured."""

    event: Literal["benchmark"] = "benchmark"
    by: str
    verdict: Verdict
    cases: list[BenchmarkCase] = Field(default_factory=list)
    environment: Environment | None = None
    sdk_version: str | None = None  # cerebras: the SDK that ran it
    isolation: str | None = None  # "bwrap" or "rlimits-only": how the untrusted work was confined


class RevisionEvent(EventBase):
    """A submitted revision with its measurements; diff is against the previous revision."""

    event: Literal["revision"] = "revision"
    number: int  # 1-based step, as in the study's traces
    role: str
    action: str
    sha256: str
    files: list[str]
    verdict: RevisionVerdict  # ok or the failure verdict
    correct: bool
    compress_gbps: float | None = None
    decompress_gbps: float | None = None
    ratio: float | None = None
    is_best: bool = False
    diff: str = ""
    compress_cv: float | None = None  # spread (std / mean) of the timed repetitions behind compress_gbps
    decompress_cv: float | None = None
    reused_from: int | None = None  # identical files: this revision repeats that revision's result, unmeasured
    detail: str = ""  # why the validator (not the harness) failed it, e.g. the ratio floor


class RollbackEvent(EventBase):
    """The workspace was restored to an earlier revision."""

    event: Literal["rollback"] = "rollback"
    from_revision: int
    to_revision: int
    reason: str


class ComparisonEvent(EventBase):
    """Two revisions re-measured interleaved (A B A B ...) before a new best or a rollback was declared."""

    event: Literal["comparison"] = "comparison"
    baseline: int  # revision number (the best so far)
    candidate: int  # revision number (the submission)
    objective: str
    question: str  # "better" or "worse": what the single measurement suggested
    baseline_values: list[float]  # objective per round, GB/s
    candidate_values: list[float]
    baseline_median: float | None = None
    candidate_median: float | None = None
    change: float | None = None  # candidate / baseline - 1
    baseline_cv: float | None = None
    candidate_cv: float | None = None
    p_value: float | None = None
    decision: str  # better, worse, within_noise, failed
    seconds: float = 0.0
    detail: str = ""


class RouteEvent(EventBase):
    """A routing decision between nodes."""

    event: Literal["route"] = "route"
    source: str
    target: str
    reason: str


class ErrorEvent(EventBase):
    """An infrastructure error (not a kernel failure): model API down, harness bug."""

    event: Literal["error"] = "error"
    kind: str  # model, model_retry, provider_error, budget_wall, invalid_tool_call, submit, harness, ...
    message: str
    error_class: str | None = None  # provider faults: auth, network, rate_limit, server, ...


class RateLimitWait(EventBase):
    """A model call held back by its provider's study-wide rate limit; the next llm_call's latency_s includes it."""

    event: Literal["rate_limit_wait"] = "rate_limit_wait"
    role: str
    provider: str
    wait_s: float
    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None
    window_s: float = 60.0


Event = Annotated[
    Union[
        RunStart, RunEnd, NodeEnter, NodeExit, LlmCall, ToolCall, CompileEvent, ValidationEvent,
        BenchmarkEvent, RevisionEvent, RollbackEvent, ComparisonEvent, RouteEvent, ErrorEvent,
        RateLimitWait,
    ],
    Field(discriminator="event"),
]

EVENT_TYPES: dict[str, type[EventBase]] = {
    cls.model_fields["event"].default: cls
    for cls in (RunStart, RunEnd, NodeEnter, NodeExit, LlmCall, ToolCall, CompileEvent, ValidationEvent,
                BenchmarkEvent, RevisionEvent, RollbackEvent, ComparisonEvent, RouteEvent, ErrorEvent, RateLimitWait)
}
