"""Factories for hosted and OpenAI-compatible chat models: `openai:<model>` and `google_genai:<model>`.

Retries: both provider clients retry 408/409/429/5xx and connection timeouts themselves, with
exponential backoff, so no `.with_retry()` wrapper is added (it would return a Runnable without
`bind_tools`). `max_retries` means retries after the first attempt for both:
- openai: the `openai` SDK client (backoff 0.5 s doubling to 8 s, with jitter; it honours the
  server's `retry-after-ms` / `retry-after` headers up to 2 minutes);
- google_genai: the `google-genai` SDK's HttpRetryOptions (it counts attempts, so we pass
  max_retries + 1; its backoff ignores the server's suggested delay).
Token usage: both fill `AIMessage.usage_metadata` (input_tokens, output_tokens, total_tokens).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from szagents.errors import ModelConfigError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "LOCAL_API_KEY",
    "RESPONSES_API_PREFIXES",
    "init_chat_model_factory",
    "make_google_genai",
    "make_openai",
    "needs_responses_api",
]

DEFAULT_MAX_RETRIES = 6
"""Retries after the first attempt; long agent runs should survive a minute of rate limiting."""

LOCAL_API_KEY = "not-needed"
"""Placeholder key sent to a `base_url` server (vLLM, Ollama) when no key is set."""

RESPONSES_API_PREFIXES = ("o1", "o3", "o4", "gpt-5")


def needs_responses_api(model: str) -> bool:
    """True for models to call through the Responses API: names with 'codex', o1/o3/o4*, gpt-5*.

    The rule looks at the last path component, lower-cased, so 'openai/gpt-5.1-codex' counts.
    It ignores base_url: a local server hosting such a name must serve /v1/responses, or the
    caller passes responses=False.
    """
    name = model.lower().rsplit("/", 1)[-1]
    return "codex" in name or name.startswith(RESPONSES_API_PREFIXES)


def _missing_package(package: str, exc: ImportError) -> ModelConfigError:
    """The error for a provider package that is not installed."""
    return ModelConfigError(f"{package} is not installed ({exc}); fix: pip install {package}")


def _openai_base_url(base_url: str | None) -> str | None:
    """base_url option, else $OPENAI_BASE_URL, else $OPENAI_API_BASE (both read by ChatOpenAI too)."""
    return base_url or os.environ.get("OPENAI_BASE_URL") or os.environ.get("OPENAI_API_BASE") or None


def make_openai(
    model: str,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    max_retries: int = DEFAULT_MAX_RETRIES,
    timeout: float | None = 600.0,
    responses: bool | None = None,
    **options: Any,
) -> BaseChatModel:
    """ChatOpenAI for model; Responses API per needs_responses_api unless responses= says otherwise.

    Other options (temperature, reasoning, model_kwargs, ...) go to ChatOpenAI unchanged.
    """
    try:
        from langchain_openai import ChatOpenAI
    except ImportError as exc:
        raise _missing_package("langchain-openai", exc) from exc
    url = _openai_base_url(base_url)
    key = api_key or os.environ.get("OPENAI_API_KEY")
    if not key:
        if url is None:
            raise ModelConfigError(
                f"openai:{model} needs an API key: OPENAI_API_KEY is not set. Fix: "
                "export OPENAI_API_KEY=sk-... , or point at an OpenAI-compatible server with "
                "--base-url http://host:port/v1 (or $OPENAI_BASE_URL), which needs no key"
            )
        key = LOCAL_API_KEY
    use_responses = needs_responses_api(model) if responses is None else responses
    return ChatOpenAI(
        model=model,
        base_url=url,
        api_key=key,
        max_retries=max_retries,
        timeout=timeout,
        use_responses_api=use_responses,
        **options,
    )


def make_google_genai(
    model: str,
    *,
    api_key: str | None = None,
    max_retries: int = DEFAULT_MAX_RETRIES,
    timeout: float | None = 600.0,
    **options: Any,
) -> BaseChatModel:
    """ChatGoogleGenerativeAI for model, keyed by api_key, $GOOGLE_API_KEY or $GEMINI_API_KEY.

    Vertex AI users pass vertexai=True (and project/credentials) instead of a key.
    """
    try:
        from langchain_google_genai import ChatGoogleGenerativeAI
    except ImportError as exc:
        raise _missing_package("langchain-google-genai", exc) from exc
    key = api_key or os.environ.get("GOOGLE_API_KEY") or os.environ.get("GEMINI_API_KEY")
    if not key and not options.get("vertexai"):
        raise ModelConfigError(
            f"google_genai:{model} needs an API key: neither GOOGLE_API_KEY nor GEMINI_API_KEY "
            "is set. Fix: export GOOGLE_API_KEY=... (from https://aistudio.google.com/apikey)"
        )
    if key:
        options["api_key"] = key
    # google-genai counts attempts, and reads 0 as "its default": pass retries + 1.
    return ChatGoogleGenerativeAI(model=model, max_retries=max_retries + 1, timeout=timeout, **options)


def _init_chat_model_error(provider: str, model: str, exc: Exception) -> ModelConfigError:
    """The error for an init_chat_model provider that cannot be built (package or key missing)."""
    text = " ".join(str(exc).split())
    if isinstance(exc, ImportError):
        return ModelConfigError(f"{provider}:{model} needs a package that is not installed: {text[:300]}")
    return ModelConfigError(f"{provider}:{model} cannot be built: {text[:300].rstrip('.')}. Fix: export the "
                            "credentials it names (an API key variable) or give the server address")


def init_chat_model_factory(provider: str) -> Any:
    """A factory building provider's models with langchain's init_chat_model; None without langchain,
    False when langchain does not know provider.

    Only the options the caller gives are passed on (max_retries and timeout are dropped: not
    every provider class takes them, and szagents bounds and retries calls itself).
    """
    try:
        from langchain.chat_models import init_chat_model
        from langchain.chat_models.base import _BUILTIN_PROVIDERS as known  # noqa: PLC2701 - only its keys
    except ImportError:
        return None
    if provider not in known:
        return False

    def make(model: str, *, max_retries: int | None = None, timeout: float | None = None, **options: Any) -> Any:
        try:
            return init_chat_model(model, model_provider=provider, **options)
        except Exception as exc:  # noqa: BLE001 - missing package or credentials: say how to fix it
            raise _init_chat_model_error(provider, model, exc) from exc

    return make
