"""Spec parsing, provider prerequisites and their errors, entry-point registration."""

from __future__ import annotations

import sys
from importlib.metadata import EntryPoint
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel

from szagents.errors import UnknownSpecError
from szagents.models import ModelConfigError, ScriptedChatModel, known_providers, make_model, parse_spec
from szagents.models import registry
from szagents.models.providers import LOCAL_API_KEY, needs_responses_api


def test_parse_spec_splits_at_first_colon():
    """A spec splits into provider and model at its first colon, keeping later colons in the model."""
    assert parse_spec("openai:gpt-5.1-codex") == ("openai", "gpt-5.1-codex")
    assert parse_spec("replay:C:/runs/x#translator") == ("replay", "C:/runs/x#translator")


@pytest.mark.parametrize("spec", ["gpt-4o", "openai:", ":gpt-4o", "openai:  "])
def test_bad_spec_raises_unknown_spec_listing_providers(spec):
    """A spec without a colon, provider or model raises UnknownSpecError that lists the providers."""
    with pytest.raises(UnknownSpecError) as info:
        make_model(spec)
    assert "openai" in str(info.value) and "google_genai" in str(info.value) and "scripted" in str(info.value)


def test_unknown_provider_suggests_near_name():
    """An unknown provider raises UnknownSpecError naming it and suggesting the closest known one."""
    with pytest.raises(UnknownSpecError, match="'gogle_genai'.*Did you mean 'google_genai:...'"):
        make_model("gogle_genai:gemini-2.5-pro")


def test_openai_without_key_or_base_url_says_how_to_fix():
    """openai:<model> with neither OPENAI_API_KEY nor a base URL raises ModelConfigError naming both fixes."""
    with pytest.raises(ModelConfigError) as info:
        make_model("openai:gpt-4o-mini")
    assert "export OPENAI_API_KEY=" in str(info.value) and "--base-url" in str(info.value)


def test_openai_with_base_url_needs_no_key():
    """With a base_url and no key the model is built with the placeholder key and that base URL."""
    model = make_model("openai:qwen2.5-coder", base_url="http://127.0.0.1:9/v1")
    assert model.openai_api_key.get_secret_value() == LOCAL_API_KEY
    assert model.openai_api_base == "http://127.0.0.1:9/v1"
    assert model.use_responses_api is False


def test_openai_base_url_from_environment(monkeypatch):
    """$OPENAI_BASE_URL stands in for the base_url option, so no key is needed either."""
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    assert make_model("openai:llama3").openai_api_base == "http://127.0.0.1:9/v1"


def test_openai_options_reach_the_client(monkeypatch):
    """max_retries, timeout, responses override and extra options are passed to ChatOpenAI."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    model = make_model("openai:gpt-5.1-codex", max_retries=2, timeout=30, responses=False, seed=7)
    assert (model.max_retries, model.request_timeout, model.use_responses_api, model.seed) == (2, 30, False, 7)
    assert model.openai_api_key.get_secret_value() == "sk-test"


@pytest.mark.parametrize("name,expected", [
    ("gpt-5.1-codex", True), ("gpt-5", True), ("gpt-5-mini", True), ("o3", True), ("o4-mini", True),
    ("o1-preview", True), ("codex-mini-latest", True), ("openai/GPT-5.1", True),
    ("gpt-4o-mini", False), ("gpt-4.1", False), ("qwen2.5-coder-32b", False), ("llama-3.1-o3x", False),
])
def test_needs_responses_api_rule(name, expected):
    """The Responses API is chosen for codex names, o1/o3/o4 and gpt-5 families only."""
    assert needs_responses_api(name) is expected


def test_google_without_key_says_how_to_fix():
    """google_genai:<model> without GOOGLE_API_KEY or GEMINI_API_KEY raises ModelConfigError with the fix."""
    with pytest.raises(ModelConfigError, match="export GOOGLE_API_KEY="):
        make_model("google_genai:gemini-2.5-pro")


def test_google_with_gemini_key_builds_with_retries(monkeypatch):
    """GEMINI_API_KEY suffices; max_retries counts retries, so the SDK gets one more attempt."""
    monkeypatch.setenv("GEMINI_API_KEY", "g-test")
    model = make_model("google_genai:gemini-2.5-pro", max_retries=3)
    assert model.model.endswith("gemini-2.5-pro") and model.max_retries == 4


@pytest.mark.parametrize("spec,package", [("openai:gpt-4o", "langchain-openai"),
                                          ("google_genai:gemini-2.5-pro", "langchain-google-genai")])
def test_missing_provider_package_names_pip_install(monkeypatch, spec, package):
    """A provider package that cannot be imported raises ModelConfigError with the pip install line."""
    monkeypatch.setitem(sys.modules, package.replace("-", "_"), None)
    with pytest.raises(ModelConfigError, match=f"pip install {package}"):
        make_model(spec)


def test_scripted_spec_builds_scripted_model():
    """scripted:<bundled name> gives a ScriptedChatModel; an unknown script name lists the bundled ones."""
    assert isinstance(make_model("scripted:hello"), ScriptedChatModel)
    with pytest.raises(UnknownSpecError, match="hello"):
        make_model("scripted:no_such_script")


def _third_party(model: str, **options: Any) -> BaseChatModel:
    return ScriptedChatModel("hello", start_step=options.get("start_step", 0))


def test_entry_point_provider_is_found_and_listed(monkeypatch):
    """A provider registered under the szagents.models entry-point group is listed and used by make_model."""
    ep = EntryPoint(name="acme", value=f"{__name__}:_third_party", group=registry.ENTRY_POINT_GROUP)
    shadow = EntryPoint(name="openai", value=f"{__name__}:_third_party", group=registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points", lambda group: [ep, shadow] if group == ep.group else [])
    assert known_providers()[-1] == "acme" and known_providers().count("openai") == 1
    assert make_model("acme:anything", start_step=2).start_step == 2


def test_none_options_are_dropped_and_unknown_ones_rejected():
    """Options given as None count as not given; an option the factory does not take raises TypeError."""
    model = make_model("scripted:hello", base_url=None, timeout=30, max_retries=2, start_step=1)
    assert isinstance(model, ScriptedChatModel) and model.start_step == 1
    with pytest.raises(TypeError, match="strat_step"):
        make_model("scripted:hello", strat_step=1)


def test_init_chat_model_provider_missing_package_says_what_to_install():
    """A LangChain provider whose package is absent fails with ModelConfigError naming the package."""
    pytest.importorskip("langchain")
    from szagents.models import ModelConfigError, make_model

    with pytest.raises(ModelConfigError, match="pip install langchain-anthropic"):
        make_model("anthropic:claude-sonnet-4-5")


def test_init_chat_model_provider_without_credentials_names_the_fix(monkeypatch):
    """An installed LangChain provider (azure_openai, from langchain-openai) without a key: a ModelConfigError."""
    pytest.importorskip("langchain")
    from szagents.models import ModelConfigError, make_model

    for name in ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ModelConfigError, match="AZURE_OPENAI_API_KEY"):
        make_model("azure_openai:gpt-4o")
