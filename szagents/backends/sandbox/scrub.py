"""Environment by allowlist, and a scrubber for secrets in text that leaves the sandbox."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

__all__ = ["ALLOWED_ENV", "sandbox_env", "secret_values", "scrub", "REDACTED"]

REDACTED = "[redacted]"

# What toolchains and runtimes need; nothing else of the parent's environment enters a sandbox.
ALLOWED_ENV = ("PATH", "LANG", "LANGUAGE", "TZ", "TERM")
ALLOWED_PREFIXES = ("LC_", "OMP_", "GOMP_", "KMP_", "CUDA_")

_SECRET_NAME = re.compile(r"(API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE_KEY|ACCESS_KEY|AUTH)", re.I)
_KNOWN = ("OPENAI_API_KEY", "GOOGLE_API_KEY", "GEMINI_API_KEY", "ANTHROPIC_API_KEY", "AZURE_OPENAI_API_KEY",
          "MISTRAL_API_KEY", "GROQ_API_KEY", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "GITHUB_TOKEN",
          "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "LANGSMITH_API_KEY", "LANGCHAIN_API_KEY")
_MIN_SECRET = 6  # shorter values (flags, "1") would redact ordinary text


def sandbox_env(extra: Mapping[str, str] | None = None, source: Mapping[str, str] | None = None) -> dict[str, str]:
    """The allowlisted part of the environment, plus extra (secret-named keys never pass, from either)."""
    source = os.environ if source is None else source
    env = {k: v for k, v in source.items()
           if (k in ALLOWED_ENV or k.startswith(ALLOWED_PREFIXES)) and not _is_secret(k)}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    env.update({k: v for k, v in (extra or {}).items() if not _is_secret(k)})
    return env


def _is_secret(name: str) -> bool:
    return name in _KNOWN or bool(_SECRET_NAME.search(name))


def secret_values(source: Mapping[str, str] | None = None) -> list[str]:
    """Values of secret-looking variables of this process, longest first."""
    source = os.environ if source is None else source
    values = {v for k, v in source.items() if _is_secret(k) and len(v) >= _MIN_SECRET}
    return sorted(values, key=len, reverse=True)


def scrub(text: str, source: Mapping[str, str] | None = None, values: list[str] | None = None) -> str:
    """text with every secret value of the parent's environment replaced by [redacted]; values: those secret values,
    where the caller already has them (secret_values() reads the whole environment: a caller scrubbing many strings
    at once, such as a trajectory event's fields, reads it once)."""
    for value in secret_values(source) if values is None else values:
        if value in text:
            text = text.replace(value, REDACTED)
    return text
