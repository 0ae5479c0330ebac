"""How the children of one harness run start: device, library, spec, limits, environment, isolation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from szagents.backends.child.arena import Arena
from szagents.backends.child.orders import BenchCase, CaseLayout, DiagnoseSpec, Request
from szagents.backends.harness.conversation import ChildReport, converse
from szagents.backends.harness.timing import BATCH
from szagents.backends.protocol import KernelSpec
from szagents.backends.sandbox import Limits

__all__ = ["Launch", "DIAGNOSIS_SECONDS"]

DIAGNOSIS_SECONDS = 180.0
BATCHES = {"cuda": BATCH}  # repetitions one `go` starts (timing.py, "Batches"); 1 elsewhere


@dataclass(frozen=True)
class Launch:
    """How children of one harness run start: device, library, limits, environment, isolation."""

    device: str
    library: Path
    spec: KernelSpec
    limits: Limits
    env: Mapping[str, str]
    isolation: str | None

    def run(self, role: str, arena: Arena, reps: Arena | None = None, *, cases: Sequence[CaseLayout] = (),
            bench: Sequence[BenchCase] = (), diagnose: DiagnoseSpec | None = None, **hooks: Any) -> ChildReport:
        """One child of role over the cases laid out in arena (reps: the benchmark repetitions' arena); what it
        claimed. hooks: converse()'s."""
        own = reps is None
        reps = reps or Arena().create()
        limits = self.limits
        if role == "diagnose" and self.device != "cpu":  # rare; on a GPU it first compiles CuPy's
            # kernels in its private /tmp. On cpu the configured limit holds (a hanging kernel costs no more).
            limits = limits.model_copy(update={"wall_seconds": max(limits.wall_seconds, DIAGNOSIS_SECONDS)})
        try:
            request = Request(role, self.device, self.spec.dtype, arena.layout(), list(cases), list(bench), diagnose)
            return converse(request, arena=arena, reps_arena=reps, library=self.library, limits=limits, env=self.env,
                            gpu=self.device == "cuda", isolation=self.isolation,
                            batch=BATCHES.get(self.device, 1), **hooks)
        finally:
            if own:
                reps.close()
