"""Which Cerebras SDK the configured mode reaches: `cslc --version` or the cerebras-sdk client's version."""

from __future__ import annotations

import functools
import os
import subprocess
import sys

from szagents.backends.cerebras.config import CerebrasConfig
from szagents.backends.cerebras.tools import tool_command

__all__ = ["sdk_version", "describe_mode"]

_CLIENT_PROBE = (
    "try:\n from cerebras.sdk.client._version import __version__ as v\n"
    "except ImportError:\n from importlib.metadata import version; v = version('cerebras-sdk')\n"
    "print('cerebras-sdk', v)"
)


def sdk_version(config: CerebrasConfig) -> str | None:
    """First line of `cslc --version` (local SDK, in the container if one is set), or `cerebras-sdk X.Y.Z`."""
    return _probe(config, os.environ.get("PATH", ""))


@functools.lru_cache(maxsize=8)
def _probe(config: CerebrasConfig, path: str) -> str | None:  # PATH: which tools the probe finds
    if config.mode == "appliance":
        command = [config.appliance_python or sys.executable, "-c", _CLIENT_PROBE]
    else:
        command = [*tool_command(config, config.cslc, []), "--version"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = (done.stdout or done.stderr).strip().splitlines() if done.returncode == 0 else []
    return lines[0].strip()[:120] if lines else None


def describe_mode(config: CerebrasConfig) -> str:
    """The mode in words: where programs compile and run."""
    if config.mode == "appliance":
        where = "the cluster's simulator" if config.appliance_simulator else "a CS system of the cluster"
        return f"appliance mode ({config.appliance_config}), runs on {where}"
    tools = f"cslc and python in {config.container}" if config.container else f"{config.cslc} and {config.cs_python}"
    where = f"the CS system at {config.cmaddr}" if config.cmaddr else "the fabric simulator"
    return f"local SDK ({tools}), runs on {where}"
