"""Configuration of the cerebras backend: how it reaches the SDK, the PE rectangle, the clock."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from szagents.backends.sandbox import Isolation, Limits

# The SDK's tools run in its own container (cslc, cs_python) or talk to a Wafer-Scale Cluster over the
# network (appliance mode): they get rlimits and a scrubbed environment, not the bwrap sandbox.
SDK_ISOLATION = Isolation.rlimits_only

__all__ = ["CerebrasConfig", "HARDWARE_FABRIC", "SIMULATOR_MARGIN", "ENV_PREFIX"]

# Full fabric sizes the SDK documentation gives for compiling to a system (PE columns, rows).
HARDWARE_FABRIC: dict[str, tuple[int, int]] = {"wse2": (757, 996), "wse3": (762, 1172)}
# Columns east of and rows below the program rectangle that the memcpy infrastructure needs on the
# simulator: the documented 1x1 examples compile with --fabric-dims=8,3 --fabric-offsets=4,1.
SIMULATOR_MARGIN = (3, 1)
ENV_PREFIX = "SZAGENTS_CEREBRAS_"


class CerebrasConfig(BaseModel):
    """How the cerebras backend reaches the SDK, what it compiles for, and how it measures."""

    model_config = ConfigDict(frozen=True)

    mode: Literal["sdk", "appliance"] = "sdk"  # local cslc + cs_python, or a Wafer-Scale Cluster
    arch: Literal["wse2", "wse3"] = "wse3"  # CS-2 or CS-3 (the study's system)
    # The PE rectangle and per-PE chunking, passed to layout.csl as --params width/height/chunk.
    width: int = Field(4, ge=1, le=750)
    height: int = Field(4, ge=1, le=994)
    chunk: int = Field(2048, ge=32, le=16384)  # values per PE per launch
    # Local SDK mode.
    cslc: str = "cslc"
    cs_python: str = "cs_python"
    container: Path | None = None  # SDK image (.sif): both tools run through `singularity exec`
    singularity: str = "singularity"  # or apptainer
    cmaddr: str | None = None  # IP:PORT of a CS system; None runs the fabric simulator
    # Appliance mode (cerebras-sdk's cerebras.sdk.client).
    appliance_python: str | None = None  # interpreter with cerebras-sdk; None: this one
    # Usernode config naming the cluster; the client reads it from CSCONFIG_PATH, which the backend sets.
    appliance_config: Path = Path("/opt/cerebras/config_v2")
    appliance_simulator: bool = False  # run on the cluster's simulator instead of a CS system
    disable_version_check: bool = True
    # Fabric placement; None picks the simulator's minimum or the arch's full fabric.
    fabric_dims: tuple[int, int] | None = None
    fabric_offsets: tuple[int, int] = (4, 1)
    channels: int = Field(1, ge=1, le=16)
    # Measurement and limits.
    clock_hz: float = Field(850e6, gt=0)  # PE clock the cycle counts are divided by
    pe_memory_bytes: int = 48 * 1024  # SRAM per PE on WSE-2 and WSE-3
    reserved_bytes: int = 6 * 1024  # estimate for code, memcpy runtime and stack per PE
    bench_repetitions: int = Field(3, ge=1)
    static_checks: bool = True  # refuse to spend a compile on sources with static errors
    compile_limits: Limits = Limits(wall_seconds=900, cpu_seconds=None, address_space_bytes=None)
    # run_limits bound the host program's execution; in appliance mode the job may first wait in the
    # cluster's queue and upload for up to queue_seconds, which never count as a kernel stall.
    run_limits: Limits = Limits(wall_seconds=1800, cpu_seconds=None, address_space_bytes=None)
    queue_seconds: float = Field(3600, gt=0)

    @property
    def on_hardware(self) -> bool:
        """True when programs run on a CS system rather than a simulator."""
        if self.mode == "appliance":
            return not self.appliance_simulator
        return self.cmaddr is not None

    def fabric(self) -> tuple[int, int]:
        """--fabric-dims: configured, the system's full fabric, or the simulator's minimum."""
        if self.fabric_dims is not None:
            return self.fabric_dims
        if self.on_hardware:
            return HARDWARE_FABRIC[self.arch]
        return (self.fabric_offsets[0] + self.width + SIMULATOR_MARGIN[0],
                self.fabric_offsets[1] + self.height + SIMULATOR_MARGIN[1])

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CerebrasConfig:
        """Defaults overridden by SZAGENTS_CEREBRAS_<FIELD> variables (e.g. ..._CONTAINER)."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        if env.get("CSCONFIG_PATH"):  # the client's own override of the usernode config
            values["appliance_config"] = env["CSCONFIG_PATH"]
        for name, field in cls.model_fields.items():
            raw = env.get(ENV_PREFIX + name.upper())
            if raw is None or field.annotation is Limits:
                continue
            values[name] = tuple(int(v) for v in raw.split(",")) if name.startswith("fabric_") else raw
        return cls.model_validate(values)
