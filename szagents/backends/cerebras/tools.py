"""Command lines of the SDK tools: cslc options, cs_python, the container and appliance child."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from szagents.backends.cerebras.config import CerebrasConfig

__all__ = ["OUT_NAME", "cslc_options", "tool_command", "host_python", "cs_python_args", "appliance_command",
           "json_lines"]

# cslc's output folder; the host program loads it by this relative --name from the folder it runs
# in (SDK 1.1+ commands*.sh: `cs_python run.py --name out`), the only place cs_python surely sees.
OUT_NAME = "out"
_CHILD = Path(__file__).resolve().parent / "appliance_child.py"


def cslc_options(config: CerebrasConfig, params: Mapping[str, int]) -> list[str]:
    """cslc flags after the top-level file: arch, fabric placement, params, memcpy, output folder."""
    width, height = config.fabric()
    x, y = config.fabric_offsets
    return [
        f"--arch={config.arch}", f"--fabric-dims={width},{height}", f"--fabric-offsets={x},{y}",
        "--params=" + ",".join(f"{k}:{v}" for k, v in params.items()),
        "--memcpy", f"--channels={config.channels}", "-o", OUT_NAME,
    ]


def tool_command(config: CerebrasConfig, tool: str, binds: Sequence[Path]) -> list[str]:
    """tool, or `singularity exec --bind ... image tool` when an SDK container is configured."""
    if config.container is None:
        return [tool]
    mounts = [arg for folder in dict.fromkeys(Path(b).resolve() for b in binds) for arg in ("--bind", str(folder))]
    return [config.singularity, "exec", *mounts, str(config.container), tool]


def host_python(config: CerebrasConfig, folder: Path) -> list[str]:
    """The interpreter of the host program: cs_python, or the image's own python inside the container.

    cs_python is a host-side wrapper that starts the SDK container itself; inside the image the
    runtime is importable by plain python (the appliance client rewrites cs_python to python too).
    """
    if config.container is None:
        return [config.cs_python]
    return tool_command(config, "python", [folder])


def cs_python_args(cmaddr: str | None) -> list[str]:
    """Arguments of the host harness, all relative to its folder: program, request, result, system."""
    args = ["run.py", "--name", OUT_NAME, "--request", "request.json", "--result", "result.json"]
    return [*args, "--cmaddr", cmaddr] if cmaddr else args


def appliance_command(config: CerebrasConfig) -> list[str]:
    """The interpreter with cerebras-sdk running the appliance child script."""
    return [config.appliance_python or sys.executable, str(_CHILD)]


def json_lines(text: str) -> list[dict[str, Any]]:
    """The JSON objects among the lines of a child's output (other lines are ignored)."""
    found = []
    for line in text.splitlines():
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            found.append(value)
    return found
