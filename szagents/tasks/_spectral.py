"""Gaussian random fields with power-law spectra, built from IEEE-exact arithmetic and FFTs.

numpy picks SIMD versions of exp, log, pow, tanh and (float32) sin/cos at run time, and those
differ in the last bits between CPUs. So the fields here use only + - * / sqrt rint, the
random generator and numpy's FFT (none of which depend on the CPU's SIMD features), and
evaluate the few transcendental functions they need with the series below.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

__all__ = ["cos_sin", "rational_power", "gaussian_field"]

_TWO_PI = 2.0 * math.pi
_TAYLOR_TERMS = 17  # |r| <= pi: the first omitted term is below 1e-21
_NEWTON_STEPS = 48  # from a start within 2x of the root, far more than enough to converge
_TABLE_STEPS_PER_FUNDAMENTAL = 64  # radial table resolution: 1/64 of the lowest frequency
_CHUNK_VALUES = 1 << 20  # spectrum values weighted per pass (bounds the temporaries)


def cos_sin(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """cos(x) and sin(x) of float64 x (|x| up to ~1e3) from Taylor series: CPU-independent."""
    x = np.asarray(x, dtype=np.float64)
    r = x - _TWO_PI * np.rint(x / _TWO_PI)
    r2 = r * r
    cos = np.ones_like(r)
    sin = np.ones_like(r)
    for j in range(_TAYLOR_TERMS, 0, -1):
        cos = 1.0 - r2 * cos / float((2 * j) * (2 * j - 1))
        sin = 1.0 - r2 * sin / float((2 * j + 1) * (2 * j))
    return cos, r * sin


def _int_power(y: np.ndarray, n: int) -> np.ndarray:
    """y**n for a non-negative integer n by repeated multiplication (np.power may use SIMD pow)."""
    out = np.ones_like(y)
    for _ in range(n):
        out = out * y
    return out


def rational_power(x: np.ndarray, exponent: Fraction) -> np.ndarray:
    """x**exponent for positive float64 x, by a Newton root and integer powers: CPU-independent."""
    x = np.asarray(x, dtype=np.float64)
    num, den = exponent.numerator, exponent.denominator
    root = x
    if den > 1:
        _, e = np.frexp(x)
        root = np.ldexp(1.0, -((-e) // den))  # 2**ceil(e/den) >= x**(1/den): Newton descends
        for _ in range(_NEWTON_STEPS):
            root = ((den - 1) * root + x / _int_power(root, den - 1)) / den
    powered = _int_power(root, abs(num))
    return 1.0 / powered if num < 0 else powered


def _frequencies(shape: tuple[int, ...], spacing: tuple[float, ...]) -> list[np.ndarray]:
    """Per-axis frequencies of the real-FFT half spectrum (rfft along the last axis)."""
    freqs = [np.fft.fftfreq(n, d) for n, d in zip(shape[:-1], spacing[:-1])]
    freqs.append(np.fft.rfftfreq(shape[-1], spacing[-1]))
    return freqs


def _amplitude_table(freqs: list[np.ndarray], exponent: Fraction) -> tuple[np.ndarray, float]:
    """Amplitude k**(-exponent/2) on radii m/steps, m = 0..max; the DC entry is 0."""
    nonzero = [float(np.abs(f[1])) for f in freqs if f.size > 1]
    fundamental = min(nonzero) if nonzero else 1.0
    steps = _TABLE_STEPS_PER_FUNDAMENTAL / fundamental
    k_max = math.sqrt(sum(float(np.max(f * f)) for f in freqs))
    m = np.arange(int(k_max * steps) + 2, dtype=np.float64)
    table = np.zeros_like(m)
    table[1:] = rational_power(m[1:] / steps, -exponent / 2)
    return table, steps


def _weight_spectrum(spec: np.ndarray, freqs: list[np.ndarray], exponent: Fraction) -> None:
    """Multiply spec in place by the power-law amplitude of each wavevector's radius."""
    table, steps = _amplitude_table(freqs, exponent)
    table = table.astype(spec.real.dtype)
    rest = np.zeros(spec.shape[1:], dtype=np.float64)
    for axis, f in enumerate(freqs[1:]):
        rest = rest + (f * f).reshape((-1,) + (1,) * (len(freqs) - 2 - axis))
    rows = max(1, _CHUNK_VALUES // max(1, rest.size))
    for start in range(0, spec.shape[0], rows):
        f0 = freqs[0][start : start + rows]
        k2 = (f0 * f0).reshape((-1,) + (1,) * rest.ndim) + rest
        index = np.rint(np.sqrt(k2) * steps).astype(np.intp)
        spec[start : start + rows] *= table[index]


def _unit_variance(field: np.ndarray) -> None:
    """Scale field in place to unit variance (its mean is already zero: no DC term)."""
    total = 0.0
    for chunk in np.array_split(field.reshape(-1), max(1, field.size // _CHUNK_VALUES)):
        wide = chunk.astype(np.float64)
        total += float(np.add.reduce(wide * wide))
    std = math.sqrt(total / field.size)
    if std > 0.0:
        field *= field.dtype.type(1.0 / std)


def gaussian_field(
    shape: tuple[int, ...],
    exponent: Fraction,
    rng: np.random.Generator,
    dtype: np.dtype,
    spacing: tuple[float, ...] | None = None,
) -> np.ndarray:
    """Zero-mean, unit-variance Gaussian random field with power spectrum P(k) ~ k**-exponent."""
    dtype = np.dtype(dtype)
    spacing = spacing or (1.0,) * len(shape)
    half = shape[:-1] + (shape[-1] // 2 + 1,)
    # float32 draws for both dtypes, so the float64 field is the float32 one at higher precision.
    spec = rng.standard_normal(half + (2,), dtype=np.float32).view(np.complex64)[..., 0]
    if dtype == np.float64:
        spec = spec.astype(np.complex128)
    freqs = _frequencies(shape, spacing)
    _weight_spectrum(spec, freqs, exponent)
    # The kx=0 and Nyquist planes are not made Hermitian: irfftn keeps their real part, which
    # halves the power of those few modes and leaves the spectrum's slope alone.
    field = np.fft.irfftn(spec, s=shape, axes=tuple(range(len(shape))))
    del spec
    field = np.ascontiguousarray(field, dtype=dtype)
    _unit_variance(field)
    return field
