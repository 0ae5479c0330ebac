"""Provider faults: any chat-model exception classified, with whether retrying can help.

Classes (the `error_class` of run_end and of the CLI's one-line message):
  auth             401/403, missing or rejected key                       not retried
  model_not_found  404, unknown model or an API route the server lacks   not retried
  bad_request      400/413/422: the request itself is refused            not retried
  rate_limit       429 (the server's retry-after is honoured)            retried
  server           5xx, overloaded                                       retried
  network          connection refused, reset, dropped, DNS               retried
  timeout          no answer within the per-call timeout                 retried
  bad_response     a body that is not a chat reply (malformed, empty)    retried
  other            anything else                                         not retried
Classification walks the exception's cause chain and reads status codes by duck typing, so it
works for openai, anthropic, google-genai and httpx errors without importing any of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

__all__ = ["ERROR_CLASSES", "TRANSIENT", "Fault", "classify"]

ERROR_CLASSES = ("auth", "model_not_found", "bad_request", "rate_limit", "server", "network", "timeout",
                 "bad_response", "other")
TRANSIENT = frozenset({"rate_limit", "server", "network", "timeout", "bad_response"})

_BY_STATUS = {401: "auth", 403: "auth", 404: "model_not_found", 400: "bad_request", 413: "bad_request",
              422: "bad_request", 429: "rate_limit", 408: "timeout"}
_TIMEOUT_NAMES = ("Timeout", "TimedOut", "DeadlineExceeded")
_NETWORK_NAMES = ("Connection", "Connect", "RemoteProtocol", "ReadError", "NetworkError", "Transport")
_RESPONSE_NAMES = ("JSONDecode", "ValidationError", "IndexError", "KeyError", "TypeError", "AttributeError")


@dataclass(frozen=True)
class Fault:
    """A classified provider failure: class, whether to retry, the server's suggested delay."""

    error_class: str
    message: str
    retry_after_s: float | None = None

    @property
    def transient(self) -> bool:
        """Whether another attempt may succeed."""
        return self.error_class in TRANSIENT


def _chain(exc: BaseException) -> list[BaseException]:
    """exc and its causes/contexts, outermost first (cycles cut)."""
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen


def _status(exc: BaseException) -> int | None:
    """An HTTP error status (4xx, 5xx) carried by exc (status_code, code, or response.status_code)."""
    for value in (getattr(exc, "status_code", None), getattr(exc, "code", None),
                  getattr(getattr(exc, "response", None), "status_code", None)):
        if isinstance(value, int) and 400 <= value < 600:
            return value
    return None


def _retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked to wait (retry-after-ms or retry-after headers), if any."""
    headers = getattr(getattr(exc, "response", None), "headers", None)
    if not headers:
        return None
    try:
        if headers.get("retry-after-ms"):
            return float(headers["retry-after-ms"]) / 1000
        if headers.get("retry-after"):
            return float(headers["retry-after"])
    except (TypeError, ValueError):
        return None
    return None


def _by_name(exc: BaseException) -> str | None:
    """A class from the exception type's name (and its bases), for errors without a status."""
    names = [cls.__name__ for cls in type(exc).__mro__]
    if isinstance(exc, TimeoutError) or any(t in n for n in names for t in _TIMEOUT_NAMES):
        return "timeout"
    if isinstance(exc, ConnectionError) or any(t in n for n in names for t in _NETWORK_NAMES):
        return "network"
    if isinstance(exc, json.JSONDecodeError) or any(n.startswith(_RESPONSE_NAMES) for n in names):
        return "bad_response"
    return None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text[:300]}"


def classify(exc: BaseException) -> Fault:
    """The Fault an exception raised by a chat model stands for."""
    chain = _chain(exc)
    for link in chain:
        status = _status(link)
        if status is not None:
            found = _BY_STATUS.get(status) or ("server" if status >= 500 else "other")
            return Fault(found, _one_line(link), _retry_after(link))
    for link in chain:
        found = _by_name(link)
        if found is not None:
            return Fault(found, _one_line(link), None)
    return Fault("other", _one_line(exc), None)
