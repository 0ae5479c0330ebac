"""What the trusted parent tells a harness child over the control socket, typed (schema.py).

In order: one Request; Null handshakes (the allowance) until a Null of None; after validation, StartBench;
per benchmark case, the Repetitions laid out, then Go (one repetition, or a batch of them) until a Go of None.
The child checks each on receipt: a parent that says something else is a fault, reported as one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from szagents.backends.child.schema import (BOOL, INT, NUMBER, STR, Message, MessageError, list_of, message, nested,
                                            optional, rebuilding)

__all__ = ["ArenaLayout", "Regions", "CaseLayout", "BenchCase", "DiagnoseSpec", "Request", "Null", "StartBench",
           "Repetitions", "Go", "MAX_BATCH", "ROLES"]

MAX_BATCH = 64  # calls one Null or Go may start
ROLES = ("compress", "decompress", "diagnose")


@rebuilding
def _regions(value: Any) -> dict[str, tuple[int, int]]:
    if type(value) is not dict:
        raise MessageError("arena regions that are not an object")
    return {STR(name): _extent(extent) for name, extent in value.items()}


def _extent(value: Any) -> tuple[int, int]:
    offset, nbytes = list_of(INT, 2)(value)
    if offset < 0 or nbytes < 0:
        raise MessageError("a region at a negative offset or of negative size")
    return offset, nbytes


def _role(value: Any) -> str:
    if value not in ROLES:
        raise MessageError(f"a role that is none of {ROLES}")
    return value


def _batch(value: Any) -> int:
    if type(value) is not int or not 1 <= value <= MAX_BATCH:
        raise MessageError(f"a batch of {value!r:.20} calls: expected an int from 1 to {MAX_BATCH}")
    return value


@message(size=INT, regions=_regions)
class ArenaLayout(Message):
    """A shared arena's size and its named regions (offset, bytes)."""

    size: int
    regions: dict[str, tuple[int, int]]


@message(src=STR, dst=STR, size=INT, after=optional(STR))
class Regions(Message):
    """The arena regions of one call: its input, its output, the input's size in bytes (a stream's; 0: all of
    src), and where a compressor's input is copied back after the call (validation)."""

    src: str
    dst: str
    size: int = 0
    after: str | None = None


@message(dataset=STR, n=INT, eb=NUMBER, capacity=INT, rounds=list_of(nested(Regions)))
class CaseLayout(Message):
    """One validation case: its rounds' regions (each round a different input of the same size)."""

    dataset: str
    n: int
    eb: float
    capacity: int
    rounds: list[Regions]


@message(base=nested(Regions), n=INT, eb=NUMBER, capacity=INT, warmup=INT, warmup_seconds=NUMBER,
         warmup_agreement=NUMBER)
class BenchCase(Message):
    """One benchmark case: the base input it warms up on, and when the warm-up has settled."""

    base: Regions
    n: int
    eb: float
    capacity: int
    warmup: int
    warmup_seconds: float
    warmup_agreement: float


@message(data=STR, n=INT, eb=NUMBER, capacity=INT, dataset=STR)
class DiagnoseSpec(Message):
    """The failing case a diagnosis child runs the in-process harness on."""

    data: str
    n: int
    eb: float
    capacity: int
    dataset: str


@message(role=_role, device=STR, dtype=STR, arena=nested(ArenaLayout), cases=list_of(nested(CaseLayout)),
         bench=list_of(nested(BenchCase)), diagnose=optional(nested(DiagnoseSpec)))
class Request(Message):
    """A child's one job: the direction it runs (or a diagnosis), where, and the cases laid out in its arena."""

    role: str
    device: str
    dtype: str
    arena: ArenaLayout
    cases: Sequence[CaseLayout] = ()
    bench: Sequence[BenchCase] = ()
    diagnose: DiagnoseSpec | None = None


@message(null=optional(INT), batch=_batch)
class Null(Message):
    """Null handshake number `null` (batch null calls back to back, each answered); None ends them."""

    null: int | None
    batch: int = 1


@message(bench=BOOL)
class StartBench(Message):
    """After validation: run the benchmark cases, or not."""

    bench: bool


@message(reps=list_of(nested(Regions)), layout=nested(ArenaLayout))
class Repetitions(Message):
    """A benchmark case's repetitions: their regions in the repetition arena, and its layout (grown since)."""

    reps: list[Regions]
    layout: ArenaLayout


@message(go=optional(INT), token=optional(STR), batch=_batch)
class Go(Message):
    """Start repetitions go .. go + batch - 1, each answered by a Done echoing token; None ends the case."""

    go: int | None
    token: str | None = None
    batch: int = 1
