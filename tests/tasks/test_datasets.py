"""Tests of szagents.tasks.datasets: synthetic fields, spec strings, file loaders and the cache."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from szagents.errors import TaskError, ToolchainError, UnknownSpecError
from szagents.tasks import _generators
from szagents.tasks.datasets import (
    Dataset,
    Generator,
    dataset_names,
    get_dataset,
    register_generator,
)

SMALL = [
    "climate:90x180",
    "grf_smooth:16x24x32",
    "grf_rough:20x20x21",
    "sparse:40x61",
    "sparse:8x16x16",
    "grf_rough:1001",
]
HASH_CODE = """
import hashlib, sys
from szagents.tasks.datasets import get_dataset
for spec in sys.argv[1:]:
    print(hashlib.sha256(get_dataset(spec).load(cache=False).tobytes()).hexdigest())
"""


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test caches generated fields in its own folder."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("SZAGENTS_CACHE", str(folder))
    return folder


@pytest.fixture(scope="module")
def climate_default() -> np.ndarray:
    """The default climate field, generated once for the module (without the cache)."""
    return get_dataset("climate").load(cache=False)


def _sha(data: np.ndarray) -> str:
    """SHA-256 of the array's bytes."""
    return hashlib.sha256(data.tobytes()).hexdigest()


def _power_law_slope(field: np.ndarray) -> float:
    """Least-squares slope of log power against log |k| over single modes with 2 <= k*n <= n/2-2."""
    power = np.abs(np.fft.rfftn(field.astype(np.float64))) ** 2
    n = field.shape[0]
    axes = [np.fft.fftfreq(s) ** 2 for s in field.shape[:-1]]
    axes.append(np.fft.rfftfreq(field.shape[-1]) ** 2)
    k = np.sqrt(sum(np.meshgrid(*axes, indexing="ij"))) * n
    keep = (k >= 2) & (k <= n // 2 - 2)
    keep[..., 0] = keep[..., -1] = False  # planes irfftn symmetrizes
    return float(np.polyfit(np.log(k[keep]), np.log(power[keep]), 1)[0])


def _szp_like_ratio(field: np.ndarray, rel: float) -> float:
    """Compression ratio of SZp's layout: 32-value blocks of 1D Lorenzo residues at a fixed rate."""
    x = field.astype(np.float64).ravel()
    eb = rel * (x.max() - x.min())
    q = np.rint(x / (2 * eb))[: x.size // 32 * 32].reshape(-1, 32)
    rate = np.frexp(np.abs(np.diff(q, axis=1)).max(axis=1))[1]  # bits of the largest residue
    block_bytes = 1 + np.where(rate > 0, 4 + 4 * rate, 0)
    return 128.0 * rate.size / float(block_bytes.sum())


@pytest.mark.parametrize("spec", SMALL)
def test_same_seed_gives_identical_bytes(spec: str) -> None:
    """Generating a field twice with one seed gives the same bytes; another seed different ones."""
    first = get_dataset(spec).load(cache=False)
    again = get_dataset(spec).load(cache=False)
    other = get_dataset(f"{spec}?seed=1").load(cache=False)
    assert _sha(first) == _sha(again)
    assert _sha(first) != _sha(other)


def test_fields_do_not_depend_on_cpu_simd_features() -> None:
    """A field generated with numpy's SIMD dispatch turned off has the same bytes."""
    umath = pytest.importorskip("numpy._core._multiarray_umath")
    found = getattr(umath, "__cpu_features__", {})
    dispatched = [f for f in getattr(umath, "__cpu_dispatch__", []) if found.get(f)]
    if not dispatched:
        pytest.skip("this CPU runs numpy's baseline code only: nothing to turn off")
    specs = ["climate:90x180", "grf_smooth:16x24x32?dtype=f64", "sparse:40x61"]
    env = {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(dispatched)}
    command = [sys.executable, "-c", HASH_CODE, *specs]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == [_sha(get_dataset(s).load(cache=False)) for s in specs]


def test_default_climate_field_is_the_study_size(climate_default: np.ndarray) -> None:
    """The default climate field is 1800x3600 float32 (25.92 MB), C-contiguous, in kelvin."""
    assert get_dataset("climate").nbytes == 25_920_000
    assert climate_default.shape == (1800, 3600) and climate_default.dtype == np.float32
    assert climate_default.flags.c_contiguous and climate_default.dtype.isnative
    assert 200.0 < climate_default.min() < 240.0 < 300.0 < climate_default.max() < 330.0


def test_climate_field_is_warm_at_the_equator(climate_default: np.ndarray) -> None:
    """Zonal means fall from the tropics towards both poles, like surface temperature."""
    bands = climate_default.reshape(9, 200, 3600).mean(axis=(1, 2))
    assert bands[4] == bands.max() and bands[0] < bands[2] < bands[4] > bands[6] > bands[8]


def test_climate_field_compresses_like_a_climate_field(climate_default: np.ndarray) -> None:
    """SZp's block layout at REL 1e-3 gives a few x: neither noise nor trivially smooth."""
    assert 3.0 < _szp_like_ratio(climate_default, 1e-3) < 20.0


@pytest.mark.parametrize(("name", "exponent"), [("grf_smooth", 17 / 3), ("grf_rough", 2.0)])
def test_grf_power_spectrum_has_the_requested_slope(name: str, exponent: float) -> None:
    """A 64^3 field's power spectrum falls as k^-exponent (log-log fit within 0.15)."""
    field = get_dataset(f"{name}:64x64x64").load(cache=False)
    assert abs(_power_law_slope(field) + exponent) < 0.15


@pytest.mark.parametrize(
    "spec", ["grf_smooth:32x32x32", "grf_rough:8x40x33?dtype=f64", "grf_smooth:1000"]
)
def test_grf_has_zero_mean_and_unit_variance(spec: str) -> None:
    """Gaussian random fields are normalised to mean 0 and variance 1."""
    field = get_dataset(spec).load(cache=False).astype(np.float64)
    assert abs(field.mean()) < 1e-6 and field.var() == pytest.approx(1.0, rel=1e-5)


def test_float64_field_is_the_float32_field_at_higher_precision() -> None:
    """The f64 and f32 fields of one seed agree to float32 precision."""
    single = get_dataset("grf_rough:16x16x16").load(cache=False)
    double = get_dataset("grf_rough:16x16x16?dtype=f64").load(cache=False)
    assert double.dtype == np.float64
    np.testing.assert_allclose(double, single, atol=1e-5)


@pytest.mark.parametrize(
    ("spec", "zeros"), [("sparse:64x64x64", 0.7), ("sparse:300x200?zeros=0.5", 0.5)]
)
def test_sparse_field_has_the_requested_zero_fraction(spec: str, zeros: float) -> None:
    """The sparse field is exactly +0 on the requested fraction of cells, positive elsewhere."""
    field = get_dataset(spec).load(cache=False)
    assert (field == 0).mean() == pytest.approx(zeros, abs=1e-3)
    assert field.min() == 0.0 and not np.signbit(field).any()


def test_constant_field_holds_its_value() -> None:
    """constant fills every element with value, in the requested dtype."""
    field = get_dataset("constant:3x4x5?value=-2.5&dtype=f64").load()
    assert field.dtype == np.float64 and field.shape == (3, 4, 5) and (field == -2.5).all()
    assert get_dataset("constant:7").load().tolist() == [1.0] * 7


def test_cache_file_is_written_and_then_used(private_cache: Path) -> None:
    """The first load writes the cache file; later loads read it instead of regenerating."""
    dataset = get_dataset("grf_smooth:16x16x16")
    first = dataset.load()
    assert dataset.cache_path is not None
    assert dataset.cache_path.parent == private_cache / "datasets"
    stamp = dataset.cache_path.stat().st_mtime_ns
    np.testing.assert_array_equal(dataset.load(), first)
    assert dataset.cache_path.stat().st_mtime_ns == stamp
    np.save(dataset.cache_path, np.full_like(first, 7.0))  # a valid stand-in proves who answers
    assert (dataset.load() == 7.0).all()


@pytest.mark.parametrize("damage", ["truncate", "garbage", "wrong_shape"])
def test_corrupt_cache_file_is_regenerated(damage: str) -> None:
    """A truncated, garbled or mismatched cache file is replaced by a fresh field, not an error."""
    dataset = get_dataset("sparse:40x61")
    expected = dataset.load(cache=False)
    dataset.load()
    path = dataset.cache_path
    assert path is not None and path.exists()
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "garbage":
        path.write_bytes(b"\x93NUMPY not really")
    else:
        np.save(path, np.zeros((61, 40), np.float32))
    np.testing.assert_array_equal(dataset.load(), expected)
    np.testing.assert_array_equal(np.load(path), expected)


def test_loaded_arrays_are_fresh_and_writable() -> None:
    """Writing into a loaded array changes neither the cache nor later loads."""
    dataset = get_dataset("climate:30x60")
    first = dataset.load()
    first[:] = 0.0
    assert dataset.load().min() > 150.0


def test_raw_files_round_trip(tmp_path: Path) -> None:
    """Raw little-endian .f32 (dtype from the name) and .bin (explicit dtype) files load back."""
    values = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    values.astype("<f4").tofile(tmp_path / "a.f32")
    values.astype("<f8").tofile(tmp_path / "b.bin")
    single = get_dataset(f"file:{tmp_path / 'a.f32'}?dims=2x3x4")
    double = get_dataset(f"file:{tmp_path / 'b.bin'}?dims=6x4&dtype=f64")
    assert (single.shape, single.dtype, single.name) == ((2, 3, 4), "float32", "a")
    assert single.nbytes == 96
    np.testing.assert_array_equal(single.load(), values)
    np.testing.assert_array_equal(double.load(), values.reshape(6, 4).astype(np.float64))
    assert get_dataset(single.spec) == single and get_dataset(double.spec) == double


def test_npy_files_round_trip_to_native_c_order(tmp_path: Path) -> None:
    """A big-endian, Fortran-ordered .npy loads as a native, C-contiguous copy with its values."""
    values = np.asfortranarray(np.linspace(0, 1, 20).reshape(4, 5)).astype(">f8")
    np.save(tmp_path / "x.npy", values)
    dataset = get_dataset(f"npy:{tmp_path / 'x.npy'}")
    data = dataset.load()
    assert dataset.dtype == "float64" and data.dtype.isnative and data.flags.c_contiguous
    assert data.flags.writeable and not isinstance(data, np.memmap)
    np.testing.assert_array_equal(data, values)


def test_h5_datasets_round_trip(tmp_path: Path) -> None:
    """An HDF5 dataset inside a group loads back with its shape, dtype and values."""
    h5py = pytest.importorskip("h5py")
    values = np.random.default_rng(0).random((5, 6)).astype(np.float32)
    with h5py.File(tmp_path / "f.h5", "w") as handle:
        handle.create_dataset("group/temperature", data=values)
    dataset = get_dataset(f"h5:{tmp_path / 'f.h5'}#group/temperature")
    assert (dataset.shape, dataset.dtype) == ((5, 6), "float32")
    np.testing.assert_array_equal(dataset.load(), values)
    assert get_dataset(dataset.spec) == dataset


def test_missing_h5_dataset_lists_the_ones_present(tmp_path: Path) -> None:
    """Asking for a dataset the HDF5 file lacks names it and lists the datasets there."""
    h5py = pytest.importorskip("h5py")
    with h5py.File(tmp_path / "f.h5", "w") as handle:
        handle.create_dataset("group/u", data=np.zeros(3, np.float32))
    with pytest.raises(TaskError, match=r"no dataset 'group/v'.*group/u"):
        get_dataset(f"h5:{tmp_path / 'f.h5'}#group/v")


def test_h5_without_h5py_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without h5py, an HDF5 spec raises ToolchainError with the pip install hint."""
    (tmp_path / "f.h5").write_bytes(b"")
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ToolchainError, match=r"pip install 'szagents\[hdf5\]'"):
        get_dataset(f"h5:{tmp_path / 'f.h5'}#x")


def test_unknown_dataset_lists_the_known_ones() -> None:
    """An unknown name raises UnknownSpecError naming every generator and the file schemes."""
    with pytest.raises(UnknownSpecError) as caught:
        get_dataset("temperature:10x10")
    builtins = ["climate", "grf_smooth", "grf_rough", "sparse", "constant"]
    for name in [*builtins, "file:", "npy:", "h5:"]:
        assert name in str(caught.value)


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("climate:100x200x3", "2-dimensional"),
        ("grf_smooth:64x0x64", "positive integers"),
        ("grf_smooth:64xx64", "positive integers"),
        ("grf_rough:8?seed=-3", "bad seed"),
        ("sparse?dtype=f16", "f32 or f64"),
        ("sparse?zeros=1.5", "between 0.0 and 0.99"),
        ("constant?value=nan", "value"),
        ("climate?zeros=0.5", "takes seed, dtype"),
        ("climate?seed=1&seed=2", "at most once"),
        ("file:{dir}/a.f32", "needs dims"),
        ("file:{dir}/a.f32?dims=5x5", "has 24 bytes, but dims=5x5 of float32 need 100"),
        ("file:{dir}/a.dat?dims=6", "cannot tell the dtype"),
        ("file:{dir}/missing.f32?dims=6", "does not exist"),
        ("npy:{dir}/ints.npy", "int64 values"),
        ("npy:{dir}/a.f32", "cannot read .npy file"),
        ("h5:{dir}/f.h5", "needs the dataset's path"),
    ],
)
def test_bad_specs_name_the_problem_and_the_fix(spec: str, fragment: str, tmp_path: Path) -> None:
    """Malformed specs and unusable files raise TaskError saying what to change."""
    (tmp_path / "a.f32").write_bytes(bytes(24))
    (tmp_path / "a.dat").write_bytes(bytes(24))
    np.save(tmp_path / "ints.npy", np.arange(3))
    with pytest.raises(TaskError) as caught:
        get_dataset(spec.format(dir=tmp_path))
    assert fragment in str(caught.value)


def test_dataset_fields_must_match_its_source() -> None:
    """A Dataset built by hand with a path for a synthetic field (or none for a file) is refused."""
    with pytest.raises(ValidationError):
        Dataset(name="a", source="raw", shape=(3,), dtype="float32")
    with pytest.raises(ValidationError):
        Dataset(name="a", source="synthetic", shape=(3,), dtype="float32", seed=0, path=Path("x"))


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(["grf_smooth", "grf_rough", "sparse", "constant"]),
    shape=st.lists(st.integers(1, 10**6), min_size=1, max_size=3),
    seed=st.integers(0, 2**64),
    dtype=st.sampled_from(["f32", "f64", "float32", "float64"]),
)
def test_canonical_spec_round_trips(name: str, shape: list[int], seed: int, dtype: str) -> None:
    """get_dataset(d.spec) gives back d for any synthetic dataset."""
    dataset = get_dataset(f"{name}:{'x'.join(map(str, shape))}?dtype={dtype}&seed={seed}")
    assert dataset.shape == tuple(shape) and dataset.seed == seed
    assert get_dataset(dataset.spec) == dataset


def test_registered_generators_are_resolved_and_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    """A third-party generator registered by name loads through specs and the cache."""
    monkeypatch.setattr(_generators, "_GENERATORS", dict(_generators._GENERATORS))

    def ramp(shape: tuple[int, ...], *, seed: int, dtype: np.dtype) -> np.ndarray:
        return np.arange(np.prod(shape), dtype=dtype).reshape(shape) + seed

    register_generator(Generator("ramp", ramp, (4,), ndims=(1, 2)))
    dataset = get_dataset("ramp:2x3?seed=5")
    assert "ramp" in dataset_names() and dataset.load().tolist() == [[5, 6, 7], [8, 9, 10]]
    assert dataset.cache_path is not None and dataset.cache_path.exists()
    with pytest.raises(TaskError):
        register_generator(Generator("h5", ramp, (4,)))
