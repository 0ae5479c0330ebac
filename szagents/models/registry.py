"""`provider:model` specs resolved lazily to LangChain chat models; third parties register by entry point.

Built-in providers map to `module:function` targets that are imported only when their spec is used,
so `import szagents.models` needs none of the provider packages. A third party adds a provider
with an entry point in the group `szagents.models` whose name is the provider and whose object is
a factory `(model: str, **options) -> BaseChatModel`. Built-in names cannot be overridden.
Any other provider name goes to LangChain's `init_chat_model` (`anthropic:`, `ollama:`,
`mistralai:`, ... when `langchain` and the provider's package are installed).
"""

from __future__ import annotations

import difflib
import importlib
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any, Callable

from szagents.errors import ModelConfigError, UnknownSpecError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

__all__ = [
    "ENTRY_POINT_GROUP",
    "ModelConfigError",
    "ModelFactory",
    "known_providers",
    "make_model",
    "parse_spec",
]

ENTRY_POINT_GROUP = "szagents.models"

ModelFactory = Callable[..., "BaseChatModel"]

_BUILTIN: dict[str, str] = {
    "openai": "szagents.models.providers:make_openai",
    "google_genai": "szagents.models.providers:make_google_genai",
    "scripted": "szagents.models.scripted:make_scripted",
    "replay": "szagents.models.replay:make_replay",
}




def _entry_points() -> dict[str, Any]:
    """Third-party provider entry points by name (built-in names excluded)."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name not in _BUILTIN}


def known_providers() -> list[str]:
    """Every provider name a spec may start with: built-ins first, then registered ones (sorted)."""
    return [*_BUILTIN, *sorted(_entry_points())]


def _unknown(spec: str, why: str) -> UnknownSpecError:
    """An UnknownSpecError for spec that says why, lists the providers and suggests a near name."""
    providers = known_providers()
    provider = spec.partition(":")[0]
    near = difflib.get_close_matches(provider, providers, n=1)
    hint = f" Did you mean '{near[0]}:...'?" if near and ":" in spec and near[0] != provider else ""
    return UnknownSpecError(
        f"model spec {spec!r}: {why}. A spec is 'provider:model' with provider one of "
        f"{', '.join(providers)}, or a LangChain init_chat_model provider such as anthropic, ollama, "
        f"mistralai (e.g. 'openai:gpt-5.1-codex', 'scripted:hello').{hint}"
    )


def parse_spec(spec: str) -> tuple[str, str]:
    """Split 'provider:model' at the first colon; raise UnknownSpecError when either part is empty."""
    provider, sep, model = spec.strip().partition(":")
    if not sep:
        raise _unknown(spec, "no ':' between provider and model")
    if not provider or not model.strip():
        raise _unknown(spec, "empty provider" if not provider else "empty model name")
    return provider, model.strip()


def _load_target(target: str) -> ModelFactory:
    """Import a 'module:function' target."""
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def _factory(spec: str, provider: str) -> ModelFactory:
    """The factory registered for provider, imported now."""
    if provider in _BUILTIN:
        return _load_target(_BUILTIN[provider])
    found = _entry_points().get(provider)
    if found is None:
        return _init_chat_model_factory(spec, provider)
    try:
        return found.load()
    except ImportError as exc:
        raise ModelConfigError(
            f"model provider {provider!r} is registered by entry point {found.value!r} but cannot "
            f"be imported ({exc}); reinstall the package that provides it"
        ) from exc


def _init_chat_model_factory(spec: str, provider: str) -> ModelFactory:
    """A factory through langchain's init_chat_model for provider, or UnknownSpecError."""
    from szagents.models.providers import init_chat_model_factory

    factory = init_chat_model_factory(provider)
    if factory is None:
        raise _unknown(spec, f"unknown provider {provider!r} (other LangChain providers need: pip install langchain)")
    if factory is False:
        raise _unknown(spec, f"unknown provider {provider!r}")
    return factory


def make_model(spec: str, **options: Any) -> BaseChatModel:
    """Build the chat model a 'provider:model' spec names; options (None ones dropped) go to its factory.

    Every built-in factory accepts max_retries and timeout; openai also base_url, api_key,
    responses; scripted start_step, strict, position; replay start_call. An option a factory does
    not take raises TypeError.
    """
    provider, model = parse_spec(spec)
    given = {name: value for name, value in options.items() if value is not None}
    return _factory(spec, provider)(model, **given)
