"""What the trusted parent prepares for a harness run: cases, rounds and distinct benchmark inputs."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import numpy as np

from szagents.backends.protocol import KernelSpec, Problem
from szagents.codecs.base import get_codec
from szagents.errors import UnknownSpecError

__all__ = ["Case", "stage_cases", "repetition_input", "RepetitionPlan"]


@dataclass
class Case:
    """One dataset at one bound: the parent's own copies, never shared with a child."""

    dataset: str
    data: np.ndarray
    eb: float  # the float32 the kernel receives, as a Python float
    capacity: int
    expected: bytes | None = None  # reference-format stream (strict format tasks)
    rounds: list[np.ndarray] = field(default_factory=list)  # the inputs compressed in the same buffers

    @property
    def n(self) -> int:
        return int(self.data.size)


def _capacity(spec: KernelSpec, data: np.ndarray) -> tuple[int, object | None]:
    try:
        codec = get_codec(spec.codec, **spec.options)
    except UnknownSpecError:  # a user-defined kernel without a reference codec
        return 2 * data.nbytes + 65536, None
    return int(codec.max_compressed_bytes(data.size, data.dtype)), codec


def stage_cases(problems: list[Problem] | tuple[Problem, ...], spec: KernelSpec, rounds: bool = True) -> list[Case]:
    """A Case per problem; with rounds, a second round on the reversed input (catches pointer-keyed caches)."""
    cases = []
    for problem in problems:
        data = np.ascontiguousarray(problem.data.ravel()).astype(spec.dtype, copy=False)
        capacity, codec = _capacity(spec, data)
        expected = codec.compress(data, problem.eb) if spec.format_check and codec is not None else None  # type: ignore[attr-defined]
        case = Case(problem.dataset, data, float(np.float32(problem.eb)), capacity, expected, [data])
        reversed_data = np.ascontiguousarray(data[::-1])
        if rounds and not np.array_equal(reversed_data.view(np.uint8), data.view(np.uint8)):
            case.rounds.append(reversed_data)
        cases.append(case)
    return cases


SPIKE_SPACING = 65536  # values per spike (at least MIN_SPIKES per repetition)
MIN_SPIKES = 8


@dataclass(frozen=True)
class RepetitionPlan:
    """Per repetition: a rotation, a scale and a seed for sparse spikes, none known to a child before its `go`."""

    shifts: tuple[int, ...]
    scales: tuple[float, ...]
    seeds: tuple[int, ...] = ()

    @classmethod
    def draw(cls, count: int, n: int) -> RepetitionPlan:
        rng = secrets.SystemRandom()
        return cls(tuple(rng.randrange(1, max(n, 2)) for _ in range(count)),
                   tuple(rng.uniform(0.95, 1.0) for _ in range(count)),
                   tuple(rng.getrandbits(63) for _ in range(count)))


def repetition_input(data: np.ndarray, plan: RepetitionPlan, r: int, out: np.ndarray, eb: float = 0.0) -> None:
    """Write repetition r's input into out: data rotated by plan.shifts[r], scaled by plan.scales[r], and
    (with eb > 0) a few values at secret places moved by 3-4 eb.

    Scales stay <= 1 so no finite value overflows; every element changes, so no stream or output of
    another repetition (or of the warm-up) is a correct answer. A rotation and a scale can be undone
    by a kernel that caches one answer and transforms it; the spikes (one per 65,536 values, at least
    8) make such an answer wrong by more than the bound where they are, while barely changing the data.
    """
    k, scale = plan.shifts[r] % data.size, data.dtype.type(plan.scales[r])
    np.multiply(data[k:], scale, out=out[: data.size - k])
    np.multiply(data[:k], scale, out=out[data.size - k:])
    if eb > 0 and plan.seeds:
        _spike(out[: data.size], np.random.default_rng(plan.seeds[r]), eb)


def _spike(values: np.ndarray, rng: np.random.Generator, eb: float) -> None:
    """Move max(8, n / 65536) distinct values by +-(3..4) eb (where the result stays finite)."""
    count = min(values.size, max(MIN_SPIKES, values.size // SPIKE_SPACING))
    where = rng.choice(values.size, size=count, replace=False)
    moved = values[where].astype(np.float64) + rng.choice([-1.0, 1.0], count) * eb * rng.uniform(3.0, 4.0, count)
    moved = moved.astype(values.dtype)
    keep = np.isfinite(moved) | ~np.isfinite(values[where])
    values[where[keep]] = moved[keep]
