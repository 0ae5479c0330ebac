"""szagents: drive LLM coding agents on HPC compression kernels and measure what they achieve."""

from szagents.errors import (
    FormatError,
    InputError,
    SzAgentsError,
    TaskError,
    ToolchainError,
    UnknownSpecError,
)

__version__ = "0.1.0"

__all__ = [
    "FormatError",
    "InputError",
    "SzAgentsError",
    "TaskError",
    "ToolchainError",
    "UnknownSpecError",
    "__version__",
]
