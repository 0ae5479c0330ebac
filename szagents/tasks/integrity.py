"""Task integrity: what makes a revision a compressor of the task's kind, and what "best" means.

A task declares (task.toml `[integrity]`, optionally per `[[tasks]]` entry):

- `format = "free"` (default): any stream the revision's own decompressor reads back within the
  bound, as long as every case's ratio stays at or above the floor; `"strict"`: streams must be
  byte-identical to the reference codec (the harness's `format_check`).
- `ratio_floor` (default 0.5): a fraction of the starting code's ratio on the same case (the
  run's baseline revision; the reference codec where the run has none, e.g. translations).
- `min_ratio` (default none): an absolute floor on every case's ratio.
- `objective` (default `compress_gbps`): the measurement the best revision maximises, among
  revisions at or above the floor: `compress_gbps`, `decompress_gbps` or `gmean_gbps` (the
  geometric mean of the two).

The floor is checked here, in the trusted process, on the ratios the harness computed from the
stream sizes it received (validation cases and benchmark cases alike).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from enum import Enum
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from szagents.backends.protocol import Problem
from szagents.backends.results import BenchmarkResult, ValidationResult
from szagents.codecs import get_codec

__all__ = ["Objective", "Integrity", "FloorCheck", "case_ratios", "floors", "check_floor", "objective_value",
           "reference_ratios"]


class Objective(str, Enum):
    """The measurement a task's best revision maximises."""

    compress_gbps = "compress_gbps"
    decompress_gbps = "decompress_gbps"
    gmean_gbps = "gmean_gbps"


class Integrity(BaseModel):
    """A task's correctness contract beyond the error bound, and its objective."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["free", "strict"] = "free"
    ratio_floor: float = Field(default=0.5, ge=0.0, le=1.0)
    min_ratio: float | None = Field(default=None, ge=0.0)
    objective: Objective = Objective.compress_gbps


class FloorCheck(BaseModel):
    """The ratio floor applied to one revision: ok, or the case furthest below its floor."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    case: str = ""
    ratio: float | None = None
    floor: float | None = None
    failing: int = 0  # cases below their floor

    def detail(self) -> str:
        """One line for the agent and the trajectory."""
        if self.ok:
            return ""
        return (f"[{self.case}] compression ratio {self.ratio:.3f} is below the task's floor {self.floor:.3f} "
                f"({self.failing} case(s) below the floor); a revision must stay a compressor: keep every "
                "case's ratio at or above half the starting code's")


def case_ratios(validation: ValidationResult | None, benchmark: BenchmarkResult | None) -> dict[str, float]:
    """Ratio per case, keyed 'validation:<case>' and 'benchmark:<case>' (cases without a ratio are left out)."""
    out: dict[str, float] = {}
    for case in validation.cases if validation is not None else ():
        if case.ratio is not None:
            out[f"validation:{case.dataset}"] = float(case.ratio)
    for bench in benchmark.cases if benchmark is not None else ():
        out[f"benchmark:{bench.dataset}"] = float(bench.ratio)
    return out


def floors(integrity: Integrity, start: Mapping[str, float]) -> dict[str, float]:
    """The floor of each case: ratio_floor x the starting ratio, and at least min_ratio."""
    absolute = integrity.min_ratio or 0.0
    return {case: max(integrity.ratio_floor * ratio, absolute) for case, ratio in start.items()}


def check_floor(ratios: Mapping[str, float], case_floors: Mapping[str, float], min_ratio: float | None = None) -> FloorCheck:
    """Whether every case's ratio is at or above its floor (cases without a floor: min_ratio only)."""
    below = []
    for case, ratio in ratios.items():
        floor = case_floors.get(case, min_ratio or 0.0)
        if not ratio >= floor:  # NaN fails too
            below.append((ratio / floor if floor > 0 else 0.0, case, ratio, floor))
    if not below:
        return FloorCheck(ok=True)
    _, case, ratio, floor = min(below)
    return FloorCheck(ok=False, case=case, ratio=ratio, floor=floor, failing=len(below))


def objective_value(objective: Objective, compress_gbps: float | None, decompress_gbps: float | None) -> float:
    """The objective from a revision's throughputs (0 when what it needs was not measured)."""
    c, d = compress_gbps or 0.0, decompress_gbps or 0.0
    if objective is Objective.compress_gbps:
        return max(c, 0.0)
    if objective is Objective.decompress_gbps:
        return max(d, 0.0)
    return math.sqrt(c * d) if c > 0 and d > 0 else 0.0


def reference_ratios(codec_name: str, options: Mapping[str, str], validation: Sequence[Problem],
                     benchmark: Sequence[Problem]) -> dict[str, float]:
    """The reference codec's ratio on every case (the starting ratio of a run without a baseline revision)."""
    codec = get_codec(codec_name, **dict(options))
    out = {}
    for kind, problems in (("validation", validation), ("benchmark", benchmark)):
        for problem in problems:
            data = np.ascontiguousarray(problem.data)
            out[f"{kind}:{problem.dataset}"] = data.nbytes / max(len(codec.compress(data, problem.eb)), 1)
    return out
