"""Tasks as data: kernels/<kernel>/task.toml read into frozen, validated values."""

from __future__ import annotations

import tomllib
from enum import Enum
from pathlib import Path

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from szagents.errors import TaskError, UnknownSpecError
from szagents.paths import kernels_dir
from szagents.tasks.integrity import Integrity

__all__ = ["Mode", "Variant", "Budgets", "Suite", "KernelInfo", "Task", "load_kernel", "kernel_names"]


class Mode(str, Enum):
    """What the agent is asked to do."""

    translate = "translate"
    optimize = "optimize"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Variant(_Frozen):
    """A compile-time option set of a kernel (e.g. SZp plain or outlier)."""

    codec_options: dict[str, str] = Field(default_factory=dict)
    defines: dict[str, str] = Field(default_factory=dict)


class Budgets(_Frozen):
    """Limits of one agent run; iterations are LLM calls."""

    iterations: int = Field(default=40, gt=0)
    wall_seconds: float = Field(default=3600.0, gt=0)
    tokens: int = Field(default=2_000_000, gt=0)


class Suite(_Frozen):
    """Datasets (spec strings) and relative error bounds a harness run covers."""

    datasets: tuple[str, ...]
    relative_bounds: tuple[float, ...]
    format_check: bool = False
    quick_datasets: tuple[str, ...] = ()  # what a quick run (the demo, the tests) measures instead; () = datasets

    def quick(self) -> Suite:
        """The suite a quick run covers: its quick_datasets where the task file names some."""
        return self.model_copy(update={"datasets": self.quick_datasets}) if self.quick_datasets else self

    @field_validator("relative_bounds")
    @classmethod
    def _positive(cls, bounds: tuple[float, ...]) -> tuple[float, ...]:
        if not bounds or any(not 0 < b < 1 for b in bounds):
            raise ValueError("relative_bounds must be a non-empty list of numbers in (0, 1)")
        return bounds


class _TaskEntry(_Frozen):
    mode: Mode
    target: str
    source: str
    variant: str | None = None
    budgets: Budgets | None = None
    integrity: Integrity | None = None  # None: the kernel's


class KernelInfo(_Frozen):
    """One kernel folder: its sources by role, variants, suites and the tasks it offers."""

    name: str
    description: str
    codec: str
    dtype: str = "float32"
    folder: Path
    sources: dict[str, str]
    variants: dict[str, Variant] = Field(default_factory=lambda: {"default": Variant()})
    validation: Suite
    benchmark: Suite
    budgets: Budgets = Budgets()
    integrity: Integrity = Integrity()
    tasks: tuple[_TaskEntry, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _strict_format(cls, raw: Any) -> Any:
        """`[integrity] format = "strict"` and `[validation] format_check = true` say the same; both are kept in step."""
        if not isinstance(raw, dict):
            return raw
        integrity, validation = dict(raw.get("integrity") or {}), dict(raw.get("validation") or {})
        declared, checked = integrity.get("format"), bool(validation.get("format_check", False))
        if declared == "free" and checked:
            raise ValueError('[integrity] format = "free" contradicts [validation] format_check = true; keep one')
        if declared == "strict" or checked:
            integrity["format"], validation["format_check"] = "strict", True
            return {**raw, "integrity": integrity, "validation": validation}
        return raw

    def source_path(self, role: str) -> Path:
        """The file that plays role (e.g. reference_c, serial_c, baseline_cu)."""
        if role not in self.sources:
            raise UnknownSpecError(f"kernel {self.name!r} has no source {role!r}; it has {', '.join(self.sources)}")
        return self.folder / self.sources[role]

    def variant(self, name: str | None) -> tuple[str, Variant]:
        """(name, Variant) for name, or the first variant when name is None."""
        key = name or next(iter(self.variants))
        if key not in self.variants:
            raise UnknownSpecError(f"kernel {self.name!r} has no variant {key!r}; it has {', '.join(self.variants)}")
        return key, self.variants[key]


class Task(_Frozen):
    """kernel x mode x target x source x variant, with its suites and budgets."""

    id: str
    kernel: KernelInfo
    mode: Mode
    target: str
    source: str
    variant: str
    budgets: Budgets
    integrity: Integrity = Integrity()

    def quick(self) -> Task:
        """This task as a quick run sees it: benchmarked on the kernel's quick datasets (a smaller field)."""
        kernel = self.kernel.model_copy(update={"benchmark": self.kernel.benchmark.quick()})
        return self.model_copy(update={"kernel": kernel})


def kernel_names(root: Path | None = None) -> list[str]:
    """Folders of kernels/ that hold a task.toml."""
    base = root or kernels_dir()
    return sorted(p.parent.name for p in base.glob("*/task.toml"))


def load_kernel(name: str, root: Path | None = None) -> KernelInfo:
    """Read and validate kernels/<name>/task.toml."""
    base = root or kernels_dir()
    path = base / name / "task.toml"
    if not path.exists():
        known = ", ".join(kernel_names(base)) or "none"
        raise UnknownSpecError(f"unknown kernel {name!r} (no {path}); known kernels: {known}")
    try:
        raw = tomllib.loads(path.read_text())
        kernel = raw.pop("kernel", {})
        info = KernelInfo(folder=path.parent, **kernel, **raw)
    except tomllib.TOMLDecodeError as exc:
        raise TaskError(f"{path} is not valid TOML: {exc}; fix the syntax at that line") from None
    except (ValidationError, TypeError) as exc:
        raise TaskError(f"{path} does not describe a kernel: {exc}") from None
    for role, file in info.sources.items():
        if not (info.folder / file).exists():
            raise TaskError(f"{path}: source {role} = {file!r} does not exist in {info.folder}")
    return info
