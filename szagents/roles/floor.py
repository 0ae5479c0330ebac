"""The starting code's compression ratio per case: what a run's ratio floor is a fraction of."""

from __future__ import annotations

import json
from typing import Any

from szagents.roles.context import RunContext
from szagents.tasks.evaluate import build_problems
from szagents.tasks.integrity import reference_ratios

__all__ = ["start_ratios", "REFERENCE_RATIOS_FILE"]

REFERENCE_RATIOS_FILE = "reference_ratios.json"


def _baseline_ratios(ctx: RunContext, state: dict[str, Any]) -> dict[str, float] | None:
    """The baseline revision's case ratios, when the run measured a correct baseline."""
    baseline = next((r for r in state.get("revisions", []) if r["role"] == "baseline"), None)
    if baseline is None or not baseline["correct"]:
        return None
    return dict(ctx.revisions.get(baseline["number"]).case_ratios) or None


def start_ratios(ctx: RunContext, state: dict[str, Any]) -> dict[str, float]:
    """The run's baseline revision's ratio per case; without one (translations), the reference codec's.

    The reference codec's ratios are computed once per run and kept in the run folder.
    """
    found = _baseline_ratios(ctx, state)
    if found is not None:
        return found
    cached = ctx.run_dir / REFERENCE_RATIOS_FILE
    if cached.is_file():
        return {str(k): float(v) for k, v in json.loads(cached.read_text()).items()}
    kernel = ctx.task.kernel
    _, variant = kernel.variant(ctx.task.variant)
    ratios = reference_ratios(kernel.codec, variant.codec_options, build_problems(kernel.validation, kernel.dtype),
                              build_problems(kernel.benchmark, kernel.dtype))
    cached.write_text(json.dumps(ratios, indent=1))
    return ratios
