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


@dataclass(frozen=True)
class RepetitionPlan:
    """Per repetition: a rotation and a scale no child knows before the repetitions are laid out."""

    shifts: tuple[int, ...]
    scales: tuple[float, ...]

    @classmethod
    def draw(cls, count: int, n: int) -> RepetitionPlan:
        rng = secrets.SystemRandom()
        return cls(tuple(rng.randrange(1, max(n, 2)) for _ in range(count)),
                   tuple(rng.uniform(0.95, 1.0) for _ in range(count)))


def repetition_input(data: np.ndarray, plan: RepetitionPlan, r: int, out: np.ndarray) -> None:
    """Write repetition r's input into out: data rotated by plan.shifts[r], scaled by plan.scales[r].

    Scales stay <= 1 so no finite value overflows; every element changes, so no stream or output of
    another repetition (or of the warm-up) is a correct answer.
    """
    k, scale = plan.shifts[r] % data.size, data.dtype.type(plan.scales[r])
    np.multiply(data[k:], scale, out=out[: data.size - k])
    np.multiply(data[:k], scale, out=out[data.size - k:])
