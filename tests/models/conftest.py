"""Model tests run with no provider keys or base URLs from the caller's environment, and no proxy."""

from __future__ import annotations

import pytest

_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE", "GOOGLE_API_KEY", "GEMINI_API_KEY",
        "LANGSMITH_GATEWAY", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
        "all_proxy", "LC_OUTPUT_VERSION")


@pytest.fixture(autouse=True)
def _clean_model_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset keys, base URLs and proxies so a test sees only what it sets itself."""
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
