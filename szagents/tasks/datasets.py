"""Benchmark datasets from string specs: seeded synthetic fields (cached on disk) and files.

Spec grammar (dims are numpy order, slowest axis first, e.g. 100x500x500 as SDRBench lists them):
    GENERATOR[:DIMS][?seed=INT&dtype=f32|f64&OPTION=FLOAT...]   climate, grf_smooth:128x128x128
    file:PATH?dims=DIMS[&dtype=f32|f64]      raw little-endian; dtype from .f32/.f64 by default
    npy:PATH                                  a .npy file (float32 or float64)
    h5:PATH#DATASET                           an HDF5 dataset, e.g. h5:run.h5#fields/temperature
Defaults: seed=0, dtype=f32, the generator's default shape. Options: sparse zeros=0.7 (fraction of
exact zeros), constant value=1.0. Dataset.spec is the canonical, fully explicit form.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Annotated, Callable, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from szagents.errors import TaskError, UnknownSpecError
from szagents.paths import cache_dir
from szagents.tasks import _loaders
from szagents.tasks._cache import read_cached, write_atomic
from szagents.tasks._generators import (
    GENERATOR_VERSION,
    Generator,
    Option,
    dataset_names,
    find_generator,
    register_generator,
)
from szagents.tasks._specs import (
    DTYPE_NAMES,
    SHORT_DTYPE,
    parse_dims,
    parse_dtype,
    parse_query,
    parse_seed,
)

__all__ = [
    "GENERATOR_VERSION",
    "Dataset",
    "Generator",
    "Option",
    "dataset_names",
    "find_generator",
    "get_dataset",
    "register_generator",
]

_FILE_SCHEMES = "file:PATH?dims=AxBxC[&dtype=f32|f64], npy:PATH, h5:PATH#DATASET"


class Dataset(BaseModel):
    """One benchmark input: where its values come from, its shape and dtype."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str  # generator name, or the file's stem
    source: Literal["synthetic", "raw", "npy", "h5"]
    shape: tuple[Annotated[int, Field(gt=0)], ...] = Field(min_length=1)
    dtype: Literal["float32", "float64"]
    seed: int | None = None  # synthetic only
    options: tuple[tuple[str, float], ...] = ()  # synthetic only: every option, sorted by name
    path: Path | None = None  # files only
    member: str | None = None  # HDF5 dataset path inside the file

    @model_validator(mode="after")
    def _fields_match_source(self) -> Dataset:
        """Synthetic datasets have a seed and no path; files have a path (and h5 a member)."""
        synthetic = self.source == "synthetic"
        if synthetic != (self.seed is not None) or synthetic == (self.path is not None):
            raise ValueError("synthetic datasets need a seed and no path; files a path and no seed")
        if (self.source == "h5") != (self.member is not None):
            raise ValueError("member (the HDF5 dataset path) is set for h5 datasets only")
        return self

    @property
    def nbytes(self) -> int:
        """Size of the loaded array in bytes."""
        return math.prod(self.shape) * np.dtype(self.dtype).itemsize

    @property
    def spec(self) -> str:
        """Canonical spec string: get_dataset(d.spec) == d."""
        dims, dtype = "x".join(map(str, self.shape)), SHORT_DTYPE[self.dtype]
        if self.source == "synthetic":
            extra = "".join(f"&{key}={value!r}" for key, value in self.options)
            return f"{self.name}:{dims}?seed={self.seed}&dtype={dtype}{extra}"
        if self.source == "raw":
            return f"file:{self.path}?dims={dims}&dtype={dtype}"
        return f"npy:{self.path}" if self.source == "npy" else f"h5:{self.path}#{self.member}"

    @property
    def cache_path(self) -> Path | None:
        """Where load() caches this generated field; None for files and uncached generators."""
        generator = find_generator(self.name)
        if self.source != "synthetic" or generator is None or not generator.cached:
            return None
        opts = "".join(f"_{key}{value!r}" for key, value in self.options)
        dims = "x".join(map(str, self.shape))
        dtype = SHORT_DTYPE[self.dtype]
        stem = f"{self.name}_{dims}_{dtype}_seed{self.seed}{opts}_v{generator.version}"
        return cache_dir("datasets") / f"{stem}.npy"

    def load(self, *, cache: bool = True) -> np.ndarray:
        """The values: a fresh C-contiguous, native-endian, writable array of shape and dtype."""
        if self.source == "synthetic":
            return _load_synthetic(self, cache)
        data = _READERS[self.source](self)
        if data.shape != self.shape or data.dtype != np.dtype(self.dtype):
            raise TaskError(
                f"{self.spec} now holds {data.dtype} {data.shape}, not {self.dtype} {self.shape}: "
                "the file changed since get_dataset; call get_dataset again"
            )
        return data


_READERS: dict[str, Callable[[Dataset], np.ndarray]] = {
    "raw": lambda d: _loaders.read_raw(d.path, d.shape, np.dtype(d.dtype)),
    "npy": lambda d: _loaders.read_npy(d.path),
    "h5": lambda d: _loaders.read_h5(d.path, d.member or ""),
}


def _generate(dataset: Dataset) -> np.ndarray:
    """Run the dataset's generator."""
    generator = find_generator(dataset.name)
    if generator is None:
        known = ", ".join(dataset_names())
        raise UnknownSpecError(f"unknown dataset generator {dataset.name!r}; known: {known}")
    dtype = np.dtype(dataset.dtype)
    options = dict(dataset.options)
    data = generator.make(dataset.shape, seed=dataset.seed or 0, dtype=dtype, **options)
    return np.ascontiguousarray(data, dtype=dtype)


def _load_synthetic(dataset: Dataset, cache: bool) -> np.ndarray:
    """Generate the field, through the on-disk cache when it is cached and cache is on."""
    try:
        path = dataset.cache_path if cache else None
    except OSError as exc:  # the cache folder cannot be created: generate without it
        warnings.warn(f"dataset cache unavailable ({exc}); set SZAGENTS_CACHE", stacklevel=3)
        path = None
    dtype = np.dtype(dataset.dtype)
    cached = read_cached(path, dataset.shape, dtype) if path is not None else None
    if cached is not None:
        return cached
    data = _generate(dataset)
    if path is not None:
        try:
            write_atomic(path, data)
        except OSError as exc:  # a full or read-only disk must not stop a benchmark
            message = f"could not cache {dataset.spec} ({exc}); set SZAGENTS_CACHE"
            warnings.warn(message, stacklevel=3)
    return data


def get_dataset(spec: str) -> Dataset:
    """Resolve a spec string (grammar in the module docstring); files are checked right away."""
    scheme, _, rest = spec.partition(":")
    parser = _FILE_PARSERS.get(scheme)
    return parser(rest) if parser is not None else _synthetic(spec)


def _options(
    generator: Generator, params: dict[str, str], spec: str
) -> tuple[tuple[str, float], ...]:
    """Every option of generator, from params or its default, range-checked, sorted by name."""
    values = []
    for key, option in sorted(generator.options.items()):
        text = params.get(key)
        try:
            value = option.default if text is None else float(text)
        except ValueError:
            value = math.nan
        if not option.low <= value <= option.high:
            raise TaskError(
                f"bad {key}={text!r} in dataset spec {spec!r}: {generator.name} takes a {key} "
                f"between {option.low} and {option.high} (default {option.default})"
            )
        values.append((key, value))
    return tuple(values)


def _synthetic(spec: str) -> Dataset:
    """NAME[:DIMS][?seed=..&dtype=..&option=..] -> a synthetic Dataset."""
    base, _, query = spec.partition("?")
    name, has_dims, dims = base.partition(":")
    generator = find_generator(name)
    if generator is None:
        raise UnknownSpecError(
            f"unknown dataset {spec!r}; known generators: {', '.join(dataset_names())}; "
            f"files: {_FILE_SCHEMES}"
        )
    params = parse_query(query, ("seed", "dtype", *sorted(generator.options)), spec)
    shape = parse_dims(dims, spec) if has_dims else generator.default_shape
    if len(shape) not in generator.ndims:
        raise TaskError(
            f"{name} makes {' or '.join(map(str, generator.ndims))}-dimensional fields, not "
            f"{len(shape)} ({spec!r}); e.g. {name}:{'x'.join(map(str, generator.default_shape))}"
        )
    return Dataset(
        name=name,
        source="synthetic",
        shape=shape,
        dtype=parse_dtype(params.get("dtype", "f32"), spec),
        seed=parse_seed(params.get("seed", "0"), spec),
        options=_options(generator, params, spec),
    )


def _file_dataset(
    source: str, path: Path, probed: tuple[tuple[int, ...], np.dtype], member: str | None = None
) -> Dataset:
    """A file Dataset, after checking the file holds a non-empty array."""
    shape, dtype = probed
    if not shape or 0 in shape:
        raise TaskError(
            f"{path} holds an empty or 0-dimensional array {shape}; benchmarks need values"
        )
    name = path.stem if member is None else f"{path.stem}#{member}"
    return Dataset(
        name=name, source=source, shape=shape, dtype=dtype.name, path=path, member=member
    )


def _raw_file(rest: str) -> Dataset:
    """PATH?dims=..[&dtype=..] -> a raw little-endian file Dataset."""
    spec = f"file:{rest}"
    path_text, sep, query = rest.rpartition("?")
    path = Path(path_text if sep else rest).expanduser().absolute()
    params = parse_query(query if sep else "", ("dims", "dtype"), spec)
    if "dims" not in params:
        raise TaskError(
            f"raw file spec {spec!r} needs dims, e.g. file:{path}?dims=100x500x500 "
            "(numpy order, slowest axis first)"
        )
    if "dtype" in params:
        dtype = parse_dtype(params["dtype"], spec)
    elif path.suffix[1:].lower() in DTYPE_NAMES:
        dtype = DTYPE_NAMES[path.suffix[1:].lower()]
    else:
        raise TaskError(
            f"cannot tell the dtype of {path} from its name: add &dtype=f32 or &dtype=f64 "
            f"to {spec!r}, or name the file .f32/.f64"
        )
    shape = parse_dims(params["dims"], spec)
    return _file_dataset("raw", path, _loaders.probe_raw(path, shape, np.dtype(dtype)))


def _npy_file(rest: str) -> Dataset:
    """PATH -> a .npy file Dataset."""
    path = Path(rest).expanduser().absolute()
    return _file_dataset("npy", path, _loaders.probe_npy(path))


def _h5_file(rest: str) -> Dataset:
    """PATH#DATASET -> an HDF5 dataset Dataset."""
    path_text, sep, member = rest.rpartition("#")
    if not sep or not member or not path_text:
        raise TaskError(
            f"HDF5 spec 'h5:{rest}' needs the dataset's path in the file: h5:FILE.h5#group/dataset"
        )
    path = Path(path_text).expanduser().absolute()
    return _file_dataset("h5", path, _loaders.probe_h5(path, member), member=member)


_FILE_PARSERS: dict[str, Callable[[str], Dataset]] = {
    "file": _raw_file,
    "npy": _npy_file,
    "h5": _h5_file,
}
