"""Vectorised bit helpers for the codecs: bit lengths, bit-planes and ragged row selection."""

from __future__ import annotations

import numpy as np

__all__ = ["bit_length", "pack_planes", "unpack_planes", "column_mask", "ragged_positions"]


def bit_length(values: np.ndarray) -> np.ndarray:
    """Number of significant bits of each non-negative integer below 2**53 (0 for 0)."""
    return np.frexp(values.astype(np.float64))[1].astype(np.int64)


def pack_planes(mags: np.ndarray, nplanes: int) -> np.ndarray:
    """(rows, 32) magnitudes -> (rows, 4*nplanes) bytes: plane p, byte k, bit 7-m = bit p of
    mags[8k+m]."""
    out = np.empty((mags.shape[0], 4 * nplanes), dtype=np.uint8)
    for p in range(nplanes):
        bits = ((mags >> np.uint32(p)) & np.uint32(1)).astype(np.uint8)
        out[:, 4 * p : 4 * p + 4] = np.packbits(bits, axis=1)
    return out


def unpack_planes(planes: np.ndarray, nplanes: int) -> np.ndarray:
    """Inverse of pack_planes: (rows, 4*nplanes) bytes -> (rows, 32) uint32 magnitudes."""
    mags = np.zeros((planes.shape[0], 32), dtype=np.uint32)
    for p in range(nplanes):
        bits = np.unpackbits(planes[:, 4 * p : 4 * p + 4], axis=1).astype(np.uint32)
        mags |= bits << np.uint32(p)
    return mags


def column_mask(width: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """(rows, width) mask that is True for the columns lo[r] <= c < hi[r] of each row r."""
    cols = np.arange(width)
    return (cols >= lo[:, None]) & (cols < hi[:, None])


def ragged_positions(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of the ranges starts[i] .. starts[i]+lengths[i]-1, as one int64 array."""
    lengths = lengths.astype(np.int64)
    total = int(lengths.sum())
    run_starts = np.cumsum(lengths) - lengths
    within = np.arange(total, dtype=np.int64) - np.repeat(run_starts, lengths)
    return np.repeat(starts.astype(np.int64), lengths) + within
