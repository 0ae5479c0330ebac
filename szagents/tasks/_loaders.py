"""Readers for field files: raw little-endian .f32/.f64, .npy, and HDF5 datasets (via h5py).

Each format has a `probe_*` that checks the file and returns its (shape, dtype) without reading
the values, and a `read_*` that returns a C-contiguous, native-endian, writable array.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any, Callable, TypeVar

import numpy as np

from szagents.errors import TaskError, ToolchainError

__all__ = [
    "FLOAT_DTYPES",
    "float_dtype",
    "probe_raw",
    "read_raw",
    "probe_npy",
    "read_npy",
    "probe_h5",
    "read_h5",
]

FLOAT_DTYPES = {"f32": np.dtype(np.float32), "f64": np.dtype(np.float64)}
_LISTED_MEMBERS = 20  # HDF5 dataset names shown when the requested one is missing
_T = TypeVar("_T")


def float_dtype(dtype: np.dtype | str, where: str) -> np.dtype:
    """Native-endian float32/float64 for dtype, else TaskError saying where it came from."""
    found = np.dtype(dtype)
    if found.kind != "f" or found.itemsize not in (4, 8):
        raise TaskError(
            f"{where} holds {found} values; szagents benchmarks float32 or float64 only "
            "(convert the data, e.g. with numpy's astype, and save it again)"
        )
    return found.newbyteorder("=")


def _existing(path: Path) -> Path:
    """path if it is a readable file, else TaskError."""
    if not path.is_file():
        raise TaskError(f"dataset file {path} does not exist (or is not a file); check the path")
    return path


def _read_or_fail(what: str, path: Path, reader: Callable[[Path], _T]) -> _T:
    """Run reader(path), turning OS and format errors into a TaskError that names the file."""
    try:
        return reader(path)
    except (OSError, ValueError, EOFError) as exc:
        raise TaskError(
            f"cannot read {what} {path}: {exc}; check that it is a valid {what}"
        ) from exc


def probe_raw(
    path: Path, shape: tuple[int, ...], dtype: np.dtype
) -> tuple[tuple[int, ...], np.dtype]:
    """Check that a raw file holds exactly prod(shape) values of dtype."""
    size = _existing(path).stat().st_size
    expected = int(np.prod(shape)) * dtype.itemsize
    if size != expected:
        dims = "x".join(map(str, shape))
        whole = size % dtype.itemsize == 0
        fit = f"{size // dtype.itemsize} values" if whole else "no whole number of values"
        raise TaskError(
            f"raw file {path} has {size} bytes, but dims={dims} of {dtype.name} need {expected}; "
            f"the file holds {fit} of {dtype.name}: fix dims (numpy order, slowest first) or dtype"
        )
    return shape, dtype


def read_raw(path: Path, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """Read a raw little-endian file of shape and dtype."""
    probe_raw(path, shape, dtype)
    values = np.fromfile(path, dtype=dtype.newbyteorder("<"))
    return values.astype(dtype.newbyteorder("="), copy=False).reshape(shape)


def probe_npy(path: Path) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype of a .npy file, read from its header."""
    view = _read_or_fail(".npy file", _existing(path), lambda p: np.load(p, mmap_mode="r"))
    if not isinstance(view, np.ndarray):
        raise TaskError(f"{path} is not a single-array .npy file; save one array with np.save")
    return tuple(view.shape), float_dtype(view.dtype, f".npy file {path}")


def read_npy(path: Path) -> np.ndarray:
    """Read a .npy file into a C-contiguous, native-endian array (a copy, never a memmap)."""
    _, dtype = probe_npy(path)
    view = np.load(path, mmap_mode="r")
    return np.array(view, dtype=dtype, order="C", copy=True)


def _h5py() -> ModuleType:
    """The h5py module, or ToolchainError with the install hint."""
    try:
        import h5py  # optional dependency: only HDF5 datasets need it
    except ImportError as exc:
        raise ToolchainError(
            "reading HDF5 datasets needs h5py, which is not installed: pip install 'szagents[hdf5]'"
        ) from exc
    return h5py


def _members(h5file: Any) -> list[str]:
    """Names of the datasets in an open HDF5 file, in visiting order."""
    h5py = _h5py()
    names: list[str] = []

    def visit(name: str, node: Any) -> None:
        if isinstance(node, h5py.Dataset):
            names.append(name)

    h5file.visititems(visit)
    return names


def _open_member(h5file: Any, path: Path, member: str) -> Any:
    """The h5py.Dataset at member, else TaskError listing the datasets the file has."""
    node = h5file.get(member)
    if node is None or not isinstance(node, _h5py().Dataset):
        names = _members(h5file)
        more = " ..." if len(names) > _LISTED_MEMBERS else ""
        shown = ", ".join(names[:_LISTED_MEMBERS]) + more
        raise TaskError(
            f"HDF5 file {path} has no dataset {member!r}; its datasets: {shown or '(none)'}; "
            f"use h5:{path}#<one of these>"
        )
    return node


def probe_h5(path: Path, member: str) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype of an HDF5 dataset, read from its metadata."""
    h5py = _h5py()
    h5file = _read_or_fail("HDF5 file", _existing(path), lambda p: h5py.File(p, "r"))
    with h5file:
        node = _open_member(h5file, path, member)
        return tuple(node.shape), float_dtype(node.dtype, f"HDF5 dataset {path}#{member}")


def read_h5(path: Path, member: str) -> np.ndarray:
    """Read an HDF5 dataset into a C-contiguous, native-endian array."""
    shape, dtype = probe_h5(path, member)
    with _h5py().File(path, "r") as h5file:
        values = _open_member(h5file, path, member)[()]
    return np.ascontiguousarray(values, dtype=dtype).reshape(shape)
