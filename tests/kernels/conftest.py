"""Fixtures: the C kernels of kernels/, compiled by gcc into shared libraries, called via ctypes."""

from __future__ import annotations

import ctypes
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
KERNELS = REPO / "kernels"
CFLAGS = ("-O3", "-march=native", "-fopenmp", "-shared", "-fPIC", "-Wall", "-Wextra", "-Werror")

SZ_OK, SZ_ERR_ARGUMENT, SZ_ERR_CAPACITY, SZ_ERR_RANGE, SZ_ERR_FORMAT = 0, 1, 2, 3, 4
GUARD = 64  # bytes after out_capacity that a compressor must leave alone
POISON = {np.dtype(np.float32): 0x7FC0DEAD, np.dtype(np.float64): 0x7FF8DEADDEADDEAD}

# name -> (source, preprocessor defines, numpy codec spec); szp names carry the mode.
BUILDS = {
    "szp_plain/reference": ("szp/reference.c", (), ("szp", {"mode": "plain"})),
    "szp_plain/serial": ("szp/serial.c", (), ("szp", {"mode": "plain"})),
    "szp_outlier/reference": ("szp/reference.c", ("SZP_OUTLIER=1",), ("szp", {"mode": "outlier"})),
    "szp_outlier/serial": ("szp/serial.c", ("SZP_OUTLIER=1",), ("szp", {"mode": "outlier"})),
    # reference.c without its AVX2 bit-plane packer (the path other CPUs and compilers take)
    "szp_plain/portable": ("szp/reference.c", ("SZP_PORTABLE=1",), ("szp", {"mode": "plain"})),
    "szp_outlier/portable": (
        "szp/reference.c", ("SZP_OUTLIER=1", "SZP_PORTABLE=1"), ("szp", {"mode": "outlier"})
    ),
    "szx/reference": ("szx/reference.c", (), ("szx", {})),
    "szx/serial": ("szx/serial.c", (), ("szx", {})),
}
SZP_BUILDS = [name for name in BUILDS if name.startswith("szp")]
SZX_BUILDS = [name for name in BUILDS if name.startswith("szx")]


class KernelError(Exception):
    """A kernel call returned a non-zero status."""

    def __init__(self, status: int) -> None:
        super().__init__(f"kernel returned status {status}")
        self.status = status


@dataclass
class CKernel:
    """One compiled kernel: sz_compress / sz_decompress and their f64 variants where present."""

    name: str  # a key of BUILDS
    lib: ctypes.CDLL

    @property
    def codec_spec(self) -> tuple[str, dict]:
        return BUILDS[self.name][2]

    def _fn(self, dtype: np.dtype, what: str):
        suffix = "_f64" if np.dtype(dtype) == np.float64 else ""
        fn = getattr(self.lib, f"sz_{what}{suffix}")
        fn.restype = ctypes.c_int
        return fn

    def set_threads(self, count: int) -> None:
        """omp_set_num_threads for the calls that follow (libgomp is shared process-wide)."""
        self.lib.omp_set_num_threads(ctypes.c_int(count))

    def compress_status(
        self, data: np.ndarray | None, eb: float, capacity: int, n: int | None = None,
        null_out: bool = False,
    ) -> tuple[int, bytes]:
        """Call sz_compress; return (status, stream or b""). Checks the guard bytes."""
        dtype = np.float32 if data is None else data.dtype
        n = (0 if data is None else data.size) if n is None else n
        out = np.full(capacity + GUARD, 0xA5, dtype=np.uint8)
        out_bytes = ctypes.c_size_t(0)
        status = self._fn(dtype, "compress")(
            None if data is None else np.ascontiguousarray(data).ctypes.data_as(ctypes.c_void_p),
            ctypes.c_size_t(n), ctypes.c_float(eb),
            None if null_out else out.ctypes.data_as(ctypes.c_void_p), ctypes.c_size_t(capacity),
            ctypes.byref(out_bytes), None,
        )
        assert (out[capacity:] == 0xA5).all(), f"{self.name} wrote past out_capacity"
        if status != SZ_OK:
            return status, b""
        assert out_bytes.value <= capacity
        return status, out[: out_bytes.value].tobytes()

    def compress(self, data: np.ndarray, eb: float) -> bytes:
        status, stream = self.compress_status(data, eb, max_bytes(self.name, data.size))
        if status != SZ_OK:
            raise KernelError(status)
        return stream

    def decompress_status(
        self, stream: bytes, n: int, eb: float, dtype=np.float32, null_in: bool = False,
        null_out: bool = False,
    ) -> tuple[int, np.ndarray]:
        """Call sz_decompress into a NaN-poisoned buffer; return (status, output)."""
        dtype = np.dtype(dtype)
        src = np.frombuffer(bytearray(stream) or bytearray(1), dtype=np.uint8)  # private copy
        out = np.full(max(n, 1), POISON[dtype], dtype=f"u{dtype.itemsize}").view(dtype)
        status = self._fn(dtype, "decompress")(
            None if null_in else src.ctypes.data_as(ctypes.c_void_p), ctypes.c_size_t(len(stream)),
            ctypes.c_size_t(n), ctypes.c_float(eb),
            None if null_out else out.ctypes.data_as(ctypes.c_void_p), None,
        )
        return status, out[:n]

    def decompress(self, stream: bytes, n: int, eb: float, dtype=np.float32) -> np.ndarray:
        status, out = self.decompress_status(stream, n, eb, dtype)
        if status != SZ_OK:
            raise KernelError(status)
        return out


def max_bytes(name: str, n: int) -> int:
    """A capacity that every stream of n values fits in, for both precisions."""
    if name.startswith("szp"):
        return (n + 32767) // 32768 * 1024 + (n + 31) // 32 * (8 + 4 * 32)
    nblocks = (n + 127) // 128
    return 20 + nblocks * (2 + 5 + 32 + 4 * 128) + (nblocks + 7) // 8


def assert_within_bound(x: np.ndarray, y: np.ndarray, eb: float) -> None:
    """|x - y| <= eb32 + 4 ulp(x) where x is finite, bit-exact where it is not, all written."""
    assert y.shape == x.shape and y.dtype == x.dtype
    poison = POISON[x.dtype]
    unwritten = np.flatnonzero(y.view(f"u{x.dtype.itemsize}") == poison)
    assert unwritten.size == 0, f"{unwritten.size} outputs not written, first {unwritten[0]}"
    finite = np.isfinite(x)
    eb32 = float(np.float32(eb))
    slack = 4 * np.spacing(np.abs(np.where(finite, x, 0))).astype(np.float64)
    with np.errstate(invalid="ignore"):
        err = np.abs(x.astype(np.float64) - y.astype(np.float64))
    bad = np.flatnonzero(finite & ~(err <= eb32 + slack))
    assert bad.size == 0, (
        f"{bad.size} values out of bound, first x[{bad[0]}]={x[bad[0]]!r} -> {y[bad[0]]!r}"
    )
    xb, yb = x.view(f"u{x.dtype.itemsize}"), y.view(f"u{x.dtype.itemsize}")
    assert (xb[~finite] == yb[~finite]).all(), "NaN/Inf did not come back bit-exact"


def _build(source: Path, defines: tuple[str, ...], folder: Path) -> Path:
    """Compile source into folder with CFLAGS; fail the test with the compiler log."""
    lib = folder / f"{source.parent.name}_{source.stem}{'_'.join(('', *defines))}.so"
    cmd = ["gcc", *CFLAGS, *[f"-D{d}" for d in defines], "-I", str(KERNELS / "abi"),
           str(source), "-o", str(lib)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.fail(f"compile failed: {' '.join(cmd)}\n{proc.stderr}")
    return lib


@pytest.fixture(scope="session")
def load_kernel(tmp_path_factory):
    """A function name -> CKernel that compiles each kernel once per session."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not on PATH; the C kernel tests need it")
    folder = tmp_path_factory.mktemp("kernels")
    loaded: dict[str, CKernel] = {}

    def load(name: str) -> CKernel:
        if name not in loaded:
            source, defines, _ = BUILDS[name]
            lib = ctypes.CDLL(str(_build(KERNELS / source, defines, folder)))
            loaded[name] = CKernel(name, lib)
        return loaded[name]

    return load
