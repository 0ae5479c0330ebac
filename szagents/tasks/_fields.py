"""Synthetic benchmark fields: climate-like 2D, Gaussian random fields, sparse and constant.

Every generator is `make(shape, *, seed, dtype, **options) -> np.ndarray` and is bit-for-bit
reproducible for its arguments (see _spectral for why only CPU-independent math is used).
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from szagents.tasks._spectral import cos_sin, gaussian_field

__all__ = [
    "SMOOTH_EXPONENT",
    "ROUGH_EXPONENT",
    "SPARSE_EXPONENT",
    "climate",
    "grf_smooth",
    "grf_rough",
    "sparse",
    "constant",
]

SMOOTH_EXPONENT = Fraction(17, 3)  # P(k) ~ k^-17/3, the project's default smooth field
ROUGH_EXPONENT = Fraction(2)  # P(k) ~ k^-2 in 3D: variance dominated by small scales
SPARSE_EXPONENT = Fraction(11, 3)  # the positive parts of a Kolmogorov-like field

_LAND_EXPONENT = Fraction(4)  # 2D temperature-variance spectrum of synoptic scales: continents
_WEATHER_EXPONENT = Fraction(8, 3)  # mesoscale k^-5/3 energy spectrum: small-scale variability
_WAVES = 6  # planetary (zonal) wavenumbers 1.._WAVES
_WEATHER_KELVIN = 1.6  # std of the weather term over sea (2x over land); sets the ratio
_COAST_WIDTH = 0.08  # land-field units over which sea turns to land
_LAND_LEVEL = 0.5  # land where the land field exceeds this: ~31% of the surface


def _smoothstep(u: np.ndarray) -> np.ndarray:
    """0 below u=-1, 1 above u=1, a C1 cubic between (a rational stand-in for tanh)."""
    t = np.clip(u, -1.0, 1.0)
    return 0.5 + t * (0.75 - 0.25 * t * t)


def _zonal_mean_kelvin(sin_lat: np.ndarray) -> np.ndarray:
    """Surface temperature by latitude: ~299 K at the equator, ~241 K north, ~233 K south pole."""
    s2 = sin_lat * sin_lat
    return 299.0 - 47.0 * s2 - 15.0 * s2 * s2 + 4.0 * sin_lat


def _planetary_waves(
    lat: np.ndarray, nx: int, rng: np.random.Generator, dtype: np.dtype
) -> np.ndarray:
    """Zonal waves 1.._WAVES with latitude-dependent amplitude and phase, by an inverse rFFT."""
    spec = np.zeros((lat.size, nx // 2 + 1), dtype=np.result_type(dtype, np.complex64))
    for m in range(1, min(_WAVES, nx // 2 - 1) + 1):
        amp, centre, width, phase, tilt = (
            rng.uniform(1.5, 4.0) / math.sqrt(m),
            rng.uniform(-1.0, 1.0),
            rng.uniform(0.3, 0.7),
            rng.uniform(0.0, 2.0 * math.pi),
            rng.uniform(-2.0, 2.0),
        )
        u = (lat - centre) / width
        envelope = amp / ((1.0 + u * u) * (1.0 + u * u))
        cos_p, sin_p = cos_sin(phase + tilt * lat)
        spec[:, m].real = (0.5 * nx) * envelope * cos_p  # real arithmetic only: no complex
        spec[:, m].imag = (0.5 * nx) * envelope * sin_p  # multiply, whose SIMD form may use FMA
    return np.fft.irfft(spec, n=nx, axis=1).astype(dtype, copy=False)


def climate(shape: tuple[int, ...], *, seed: int, dtype: np.dtype) -> np.ndarray:
    """Surface-temperature-like (lat, lon) field in kelvin: gradient, waves, land, weather."""
    ny, nx = shape
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    lat = (np.arange(ny) + 0.5) * (math.pi / ny) - 0.5 * math.pi
    cos_lat, sin_lat = cos_sin(lat)
    degrees = (180.0 / ny, 360.0 / nx)  # isotropic spectra on the sphere's (lat, lon) grid
    land = gaussian_field(shape, _LAND_EXPONENT, rng, dtype, degrees)
    field = gaussian_field(shape, _WEATHER_EXPONENT, rng, dtype, degrees)
    mask = _smoothstep((land - _LAND_LEVEL) / _COAST_WIDTH).astype(dtype, copy=False)
    field *= dtype.type(_WEATHER_KELVIN) * (1.0 + mask)
    land_kelvin = 6.0 * cos_lat * cos_lat - 16.0 * sin_lat * sin_lat
    mountains = np.maximum(land - (_LAND_LEVEL + 0.7), 0.0)  # interior highs are colder
    field += mask * (land_kelvin.astype(dtype)[:, None] - dtype.type(5.0) * mountains)
    field += _planetary_waves(lat, nx, rng, dtype)
    field += _zonal_mean_kelvin(sin_lat).astype(dtype)[:, None]
    return field


def grf_smooth(shape: tuple[int, ...], *, seed: int, dtype: np.dtype) -> np.ndarray:
    """Gaussian random field, P(k) ~ k^-17/3, zero mean and unit variance."""
    return gaussian_field(shape, SMOOTH_EXPONENT, np.random.default_rng(seed), dtype)


def grf_rough(shape: tuple[int, ...], *, seed: int, dtype: np.dtype) -> np.ndarray:
    """Gaussian random field, P(k) ~ k^-2, zero mean and unit variance."""
    return gaussian_field(shape, ROUGH_EXPONENT, np.random.default_rng(seed), dtype)


def sparse(shape: tuple[int, ...], *, seed: int, dtype: np.dtype, zeros: float = 0.7) -> np.ndarray:
    """Exact zeros on a `zeros` fraction of cells; smooth positive blobs elsewhere (rain-like)."""
    field = gaussian_field(shape, SPARSE_EXPONENT, np.random.default_rng(seed), dtype)
    kth = min(field.size - 1, int(zeros * field.size))
    if zeros > 0.0:
        level = np.partition(field.reshape(-1), kth)[kth]  # a copy: field itself is untouched
        field -= level
        np.maximum(field, 0.0, out=field)  # everything at or below the level becomes +0.0
    return field


def constant(
    shape: tuple[int, ...], *, seed: int, dtype: np.dtype, value: float = 1.0
) -> np.ndarray:
    """Every element equal to value (seed unused)."""
    del seed
    return np.full(shape, value, dtype=dtype)
