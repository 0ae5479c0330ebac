"""What the cerebras backend needs in each mode, and exactly what is missing here."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

from szagents.backends.cerebras.config import ENV_PREFIX, CerebrasConfig
from szagents.backends.cerebras.version import describe_mode, sdk_version
from szagents.backends.protocol import Availability

__all__ = ["check_availability", "SDK_HINT"]

SDK_HINT = ("install the Cerebras SDK (https://sdk.cerebras.net, 'Installation') and put its cslc and cs_python on "
            f"PATH, or set {ENV_PREFIX}CONTAINER to the SDK's .sif image")
_CMADDR = re.compile(r"^[\w.\-]+:\d+$")
_PROBE = "import importlib.util as u, sys; sys.exit(0 if u.find_spec('cerebras.sdk.client') else 1)"


def _missing(reason: str, fix: str, *, can_compile: bool = False) -> Availability:
    return Availability(available=False, can_compile=can_compile, reason=reason, fix=fix)


def check_availability(config: CerebrasConfig) -> Availability:
    """Available when every tool of the configured mode is present; else what is missing and how to add it.

    When available, reason says what was found (the SDK version and the mode), for `szagents backends`.
    """
    state = _appliance(config) if config.mode == "appliance" else _local(config)
    if state.available and config.cmaddr is not None and not _CMADDR.match(config.cmaddr):
        return _missing(f"cmaddr {config.cmaddr!r} is not IP:PORT", f"set {ENV_PREFIX}CMADDR to the system's "
                        "address, e.g. 10.0.0.5:9000", can_compile=True)
    if state.available:
        found = sdk_version(config) or "SDK version unknown"
        return state.model_copy(update={"reason": f"found {found}; {describe_mode(config)}",
                                        "fix": f"{ENV_PREFIX}* variables choose another mode (cerebras/README.md)"})
    return state


def _local(config: CerebrasConfig) -> Availability:
    if config.container is not None:
        if shutil.which(config.singularity) is None:
            return _missing(f"{config.singularity!r} not found on PATH (needed to run the SDK container)",
                            f"install Singularity/Apptainer or set {ENV_PREFIX}SINGULARITY=apptainer")
        if not Path(config.container).is_file():
            return _missing(f"SDK container image {config.container} not found",
                            f"set {ENV_PREFIX}CONTAINER to the sdk-cbcore-*.sif file of your SDK release")
        return Availability(available=True, can_compile=True)
    if shutil.which(config.cslc) is None:
        return _missing(f"no {config.cslc!r} on PATH and no SDK container configured", SDK_HINT)
    if shutil.which(config.cs_python) is None:
        return _missing(f"{config.cslc!r} found but no {config.cs_python!r} on PATH: programs compile but cannot run",
                        SDK_HINT, can_compile=True)
    return Availability(available=True, can_compile=True)


def _appliance(config: CerebrasConfig) -> Availability:
    python = config.appliance_python or sys.executable
    if config.appliance_python is None:
        found = importlib.util.find_spec("cerebras") is not None and _has_client()
    else:
        found = shutil.which(python) is not None and subprocess.run(
            [python, "-c", _PROBE], capture_output=True, check=False, timeout=60).returncode == 0
    if not found:
        return _missing(f"the cerebras-sdk package (cerebras.sdk.client) is not importable by {python}",
                        f"{python} -m pip install cerebras-sdk (the version matching your cluster), or set "
                        f"{ENV_PREFIX}APPLIANCE_PYTHON to an interpreter that has it")
    if not Path(config.appliance_config).is_file():
        return _missing(f"no appliance endpoint: usernode config {config.appliance_config} not found",
                        f"run on the cluster's user node, or set {ENV_PREFIX}APPLIANCE_CONFIG to its config_v2")
    return Availability(available=True, can_compile=True)


def _has_client() -> bool:
    try:
        return importlib.util.find_spec("cerebras.sdk.client") is not None
    except (ImportError, ValueError):  # a `cerebras` package that is not the SDK's
        return False
