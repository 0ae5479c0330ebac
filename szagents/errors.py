"""Typed exceptions for infrastructure faults and bad input; each message names the fix."""

from __future__ import annotations

__all__ = [
    "SzAgentsError",
    "InputError",
    "FormatError",
    "ToolchainError",
    "TaskError",
    "UnknownSpecError",
    "HarnessError",
    "ModelConfigError",
]


class SzAgentsError(Exception):
    """Base class of every error szagents raises on purpose."""


class InputError(SzAgentsError, ValueError):
    """Input data or parameters the codec cannot honour (eb <= 0, NaN, range too large, empty)."""


class FormatError(SzAgentsError, ValueError):
    """A compressed stream that is truncated, corrupt, or inconsistent with n/eb/dtype."""


class ToolchainError(SzAgentsError, RuntimeError):
    """A compiler, SDK or device the requested operation needs is missing or unusable."""


class TaskError(SzAgentsError, ValueError):
    """A task definition (task.toml) or dataset specification that is invalid."""


class UnknownSpecError(SzAgentsError, KeyError):
    """A string spec (backend, model, kernel, dataset) that no registry knows."""

    def __str__(self) -> str:  # KeyError quotes its argument; keep the message readable.
        return str(self.args[0]) if self.args else ""


class HarnessError(SzAgentsError, RuntimeError):
    """The harness itself failed (not the kernel under test): a bug or a broken environment."""


class ModelConfigError(SzAgentsError, ValueError):
    """A model spec that cannot be built here: missing API key, package, script or recording."""
