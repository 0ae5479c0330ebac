"""What a harness child tells the trusted parent over the control socket, typed (schema.py): claims.

Every message is a claim of a process that loaded untrusted code. The parent parses each line with
parse_claim, which accepts only these types with exactly their fields (the kind's key first); anything
else is a MessageError, which the parent classifies as a broken protocol. A claim of the right type may
still be false: its reader judges it (verify.py, timing.py, bench_verdicts.py).
"""

from __future__ import annotations

from typing import Any, cast

from szagents.backends.child.schema import (BOOL, INT, NUMBER, STR, TRUE, Message, MessageError, list_of, message, nested,
                                            optional)

__all__ = ["Progress", "Fault", "Done", "CallReport", "Machine", "Described", "Warm", "Ready", "OffClockWork",
           "OffClock", "Trace", "Stored", "AbiError", "Loaded", "DiagnosisClaim", "Diagnosed", "Validated",
           "Finished", "Claim", "parse_claim"]


def _marks(value: Any) -> list[float]:
    """Four numbers (on the hot path: one loop, no nested checks)."""
    if type(value) is not list or len(value) != 4:
        raise MessageError("marks that are not four numbers")
    for mark in value:
        if type(mark) is not float and type(mark) is not int:
            raise MessageError("marks that are not four numbers")
    return value


@message(progress=STR, dataset=optional(STR))
class Progress(Message):
    """Where the child is: a step ('compress', 'benchmark compress'), or 'case' with the case's dataset."""

    progress: str
    dataset: str | None = None


@message(fault=STR)
class Fault(Message):
    """The child stopped on a fault (a device error, an exception in the runner): its traceback."""

    fault: str


@message(abi_error=STR)
class AbiError(Message):
    """The kernel library could not be loaded (the loader's message)."""

    abi_error: str


@message(loaded=TRUE)
class Loaded(Message):
    """The kernel library is loaded."""

    loaded: bool = True


@message(done=INT, seconds=NUMBER, status=INT, marks=_marks, out_bytes=INT, token=optional(STR))
class Done(Message):
    """A null call or a timed repetition finished: its number, the child's own time for the call, the kernel's
    status, the child's clock at start, after the flush, after the call, after the synchronize; for a
    repetition, the bytes compressed and the token of its Go."""

    done: int
    seconds: float
    status: int
    marks: list[float]
    out_bytes: int = 0
    token: str | None = None


@message(call=STR, case=STR, round=INT, status=INT, out_bytes=INT, settled=BOOL)
class CallReport(Message):
    """One validation call: the kernel's status and out_bytes, and whether its output was already final when the
    ABI's stream finished (settled)."""

    call: str
    case: str
    round: int
    status: int
    out_bytes: int
    settled: bool


@message(device=optional(STR), threads=optional(INT), omp_num_threads=optional(STR),
         memory_bandwidth_gbps=optional(NUMBER))
class Machine(Message):
    """Where the child says it ran (on a GPU, the device and its measured copy bandwidth)."""

    device: str | None = None
    threads: int | None = None
    omp_num_threads: str | None = None
    memory_bandwidth_gbps: float | None = None


@message(environment=nested(Machine))
class Described(Message):
    """The machine, described before a benchmark case's first kernel call."""

    environment: Machine


@message(warm=list_of(NUMBER), status=INT, out_bytes=INT)
class Warm(Message):
    """A benchmark case warmed up: the seconds of each warm-up call, the last one's status and out_bytes."""

    warm: list[float]
    status: int
    out_bytes: int


@message(ready=INT)
class Ready(Message):
    """The case's repetitions are staged (on a GPU, copied to the device): the count."""

    ready: int


@message(kind=STR, stream=INT, context=INT, bytes=INT, duration_s=NUMBER, after_window_s=optional(NUMBER),
         repetition=optional(INT))
class OffClockWork(Message):
    """One piece of device work outside every call's window, and the window it followed (None: none before)."""

    kind: str
    stream: int
    context: int
    bytes: int
    duration_s: float
    after_window_s: float | None
    repetition: int | None


@message(count=INT, seconds=NUMBER, examples=list_of(nested(OffClockWork)))
class OffClock(Message):
    """The device work outside every window: how many pieces, their device seconds, a few of them."""

    count: int
    seconds: float
    examples: list[OffClockWork]


@message(source=STR, spans=optional(list_of(NUMBER)), outside=optional(nested(OffClock)), reason=optional(STR),
         records=optional(INT))
class Trace(Message):
    """A GPU case's device trace: 'cupti' with each repetition's span and the work off the clock, or 'events'
    with the reason there is no trace."""

    source: str
    spans: list[float] | None = None
    outside: OffClock | None = None
    reason: str | None = None
    records: int | None = None


@message(stored=INT, trace=optional(nested(Trace)))
class Stored(Message):
    """A benchmark case is over: the repetitions' outputs are in the arena; the trace where there is one."""

    stored: int
    trace: Trace | None = None


@message(verdict=optional(STR), detail=STR)
class DiagnosisClaim(Message):
    """The in-process harness's verdict on the failing case, and its detail."""

    verdict: str | None
    detail: str


@message(diagnosis=nested(DiagnosisClaim))
class Diagnosed(Message):
    """A diagnosis child's answer."""

    diagnosis: DiagnosisClaim


@message(validated=TRUE)
class Validated(Message):
    """Every validation call was reported."""

    validated: bool = True


@message(finished=TRUE)
class Finished(Message):
    """The child served its whole request."""

    finished: bool = True


Claim = (Progress | Fault | Done | CallReport | Described | Warm | Ready | Stored | AbiError | Loaded | Diagnosed
         | Validated | Finished)
_KINDS: dict[str, type[Message]] = {next(iter(cls.CHECKS)): cls for cls in (
    Progress, Fault, Done, CallReport, Described, Warm, Ready, Stored, AbiError, Loaded, Diagnosed, Validated, Finished)}


def parse_claim(data: Any) -> Claim:
    """The claim a decoded JSON line is: its first key names its kind; MessageError when it is none of them."""
    kind = _KINDS.get(next(iter(data))) if type(data) is dict and data else None
    if kind is None:
        raise MessageError("a message of no kind the protocol has")
    return cast(Claim, kind.from_wire(data))
