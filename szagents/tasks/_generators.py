"""The registry of synthetic field generators behind dataset specs like grf_smooth:64x64x64."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping, NamedTuple

import numpy as np

from szagents.errors import TaskError
from szagents.tasks import _fields

__all__ = [
    "GENERATOR_VERSION",
    "Generator",
    "Option",
    "dataset_names",
    "find_generator",
    "register_generator",
]

GENERATOR_VERSION = 1  # bump when a built-in generator's output changes: old cache files retire


class Option(NamedTuple):
    """A generator's numeric option: default and the inclusive range it accepts."""

    default: float
    low: float = -math.inf
    high: float = math.inf


@dataclass(frozen=True)
class Generator:
    """A registered synthetic field: its maker, default shape, allowed ranks and options."""

    name: str
    make: Callable[..., np.ndarray]  # make(shape, *, seed, dtype, **options) -> array
    default_shape: tuple[int, ...]
    ndims: tuple[int, ...] = (1, 2, 3)
    options: Mapping[str, Option] = field(default_factory=dict)
    cached: bool = True
    version: int = GENERATOR_VERSION


_STUDY_2D = (1800, 3600)  # 25.92 MB of float32: the study's climate field
_GRF_3D = (256, 512, 512)  # 256 MiB of float32
_GENERATORS: dict[str, Generator] = {
    g.name: g
    for g in (
        Generator("climate", _fields.climate, _STUDY_2D, ndims=(2,)),
        Generator("grf_smooth", _fields.grf_smooth, _GRF_3D),
        Generator("grf_rough", _fields.grf_rough, _GRF_3D),
        Generator("sparse", _fields.sparse, _STUDY_2D, options={"zeros": Option(0.7, 0.0, 0.99)}),
        Generator(
            "constant",
            _fields.constant,
            _STUDY_2D,
            ndims=(1, 2, 3, 4),
            options={"value": Option(1.0, -3.4e38, 3.4e38)},  # finite float32 values
            cached=False,  # np.full is faster than reading a file
        ),
    )
}


def register_generator(generator: Generator) -> None:
    """Make get_dataset(generator.name ...) build fields with it (replaces a same-named one)."""
    if not generator.name.isidentifier() or generator.name in ("file", "npy", "h5"):
        raise TaskError(
            f"generator name {generator.name!r} must be an identifier and not file, npy or h5"
        )
    _GENERATORS[generator.name] = generator


def dataset_names() -> list[str]:
    """Names of the registered synthetic generators."""
    return sorted(_GENERATORS)


def find_generator(name: str) -> Generator | None:
    """The generator registered as name, or None."""
    return _GENERATORS.get(name)
