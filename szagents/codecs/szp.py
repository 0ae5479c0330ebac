"""SZp: the numpy reference of cuSZp's 1D stream (v2/v3 layout), plain and outlier modes.

Stream = header + payloads, nothing else (n, eb, dtype and mode are passed again to decode).

* Header: ceil(n/32768)*1024 bytes, one rate byte per 32-value block, zero-padded.
* Quantization (eb is first rounded to float32, the kernel ABI's C float, also for float64
  data; the float64 vector confirms it): r = 0.5/eb and t = x*r in the data's precision,
  q = trunc(t + 0.5) - (t < -0.5), reconstruction x' = ((dtype)q * eb) * 2.
* Per block, d_i = q_i - q_{i-1} with 0 before the block start. A tail block is padded with
  d = 0 (the kernels zero |d| there; the climate_odd vector confirms it), not with q = 0.
* Plain block: rate R = bit length of max|d|; R = 0 has no payload, else a big-endian sign
  word (bit 31-i set when d_i < 0) and R bit-planes, least significant first; in a plane,
  byte k bit 7-m holds bit p of |d_{8k+m}|.
* Outlier block (chosen when 4 + 4*R2 + nb < the plain size; plain wins ties): header byte
  0x80 | (nb-1) << 5 | R2, payload = nb bytes of |q0| little-endian, the 4 sign bytes, then
  R2 planes with element 0's bit 0 (R2 = rate of d_1..d_31, nb = ceil(bits(|q0|)/8)).
* Payloads follow in block order.

Range contract (better than the original's silent wrap): every |q| < 2**20 for float32 (float
rounding stays far below eb) and < 2**30 for float64 (|d| < 2**31, so the outlier mode's 5-bit
rate field holds); NaN/Inf are rejected with the index of the first one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import DTypeLike

from szagents.codecs._bits import bit_length, column_mask, pack_planes, unpack_planes
from szagents.codecs._common import (
    as_float_array,
    check_count,
    first_nonfinite,
    float32_bound,
    float_dtype,
)
from szagents.errors import FormatError, InputError

__all__ = ["SZp", "SZP_MODES", "szp_header_bytes", "szp_q_limit"]

SZP_MODES = ("plain", "outlier")
BLOCK = 32
_HEADER_SPAN = 32768  # values covered by one 1024-byte stretch of the header
_Q_LIMIT = {np.dtype(np.float32): 2**20, np.dtype(np.float64): 2**30}
_Q0, _SIGN, _PLANES = 0, 4, 8  # column offsets of a block in the unified record layout


def szp_header_bytes(n: int) -> int:
    """Length of the rate-byte header for n values: ceil(n/32768)*1024."""
    return -(-n // _HEADER_SPAN) * 1024


def szp_q_limit(dtype: DTypeLike) -> int:
    """Exclusive bound on |q| (the quantization index) that SZp accepts for dtype."""
    return _Q_LIMIT[float_dtype(dtype)]


@dataclass(frozen=True)
class _Blocks:
    """Per-block layout facts shared by the encoder and the decoder."""

    header: np.ndarray  # uint8 rate byte per block
    outlier: np.ndarray  # bool: block uses the outlier encoding
    rate: np.ndarray  # number of bit-planes stored
    q0_bytes: np.ndarray  # bytes of |q0| stored (0 for plain blocks)

    def sizes(self) -> np.ndarray:
        """Payload bytes of each block."""
        plain = np.where(self.rate > 0, 4 + 4 * self.rate, 0)
        return np.where(self.outlier, 4 + 4 * self.rate + self.q0_bytes, plain)

    def mask(self, nplanes: int) -> np.ndarray:
        """Which columns of the (q0 | sign | planes) record layout each payload holds."""
        hi = np.where(self.outlier | (self.rate > 0), _PLANES + 4 * self.rate, 0)
        width = _PLANES + 4 * nplanes
        return column_mask(width, np.full_like(hi, _SIGN), hi) | column_mask(
            width, np.zeros_like(hi), self.q0_bytes
        )


class SZp:
    """cuSZp-compatible 1D codec (plain or outlier mode) for float32 and float64 data."""

    name = "szp"

    def __init__(self, mode: str = "plain") -> None:
        if mode not in SZP_MODES:
            raise InputError(f"unknown SZp mode {mode!r}; use one of {', '.join(SZP_MODES)}")
        self.mode = mode

    def __repr__(self) -> str:
        return f"SZp(mode={self.mode!r})"

    def compress(self, data: np.ndarray, eb: float) -> bytes:
        """Compress a 1D float32/float64 array with absolute error bound eb."""
        x = as_float_array(data)
        eb32 = float32_bound(eb)
        q = _quantize(x, eb32)
        mags, neg = _block_deltas(q)
        blocks = _choose(mags, self.mode == "outlier")
        nplanes = int(blocks.rate.max())
        record = np.empty((mags.shape[0], _PLANES + 4 * nplanes), dtype=np.uint8)
        record[:, _Q0:_SIGN] = mags[:, 0].astype("<u4").view(np.uint8).reshape(-1, 4)
        record[:, _SIGN:_PLANES] = np.packbits(neg, axis=1)
        mags[blocks.outlier, 0] = 0  # element 0 travels in the q0 bytes, not the planes
        record[:, _PLANES:] = pack_planes(mags, nplanes)
        header = np.zeros(szp_header_bytes(x.size), dtype=np.uint8)
        header[: blocks.header.size] = blocks.header
        return header.tobytes() + record[blocks.mask(nplanes)].tobytes()

    def decompress(
        self, stream: bytes, n: int, eb: float, dtype: DTypeLike = np.float32
    ) -> np.ndarray:
        """Rebuild n values of dtype from stream; n, eb and dtype are not stored in it."""
        n = check_count(n)
        eb32 = float32_bound(eb)
        dt = float_dtype(dtype)
        buf = np.frombuffer(stream, dtype=np.uint8)
        blocks = _parse_header(buf, n, self.mode == "outlier")
        hlen = szp_header_bytes(n)
        expected = hlen + int(blocks.sizes().sum())
        if buf.size != expected:
            raise FormatError(
                f"SZp stream is {buf.size} bytes but its header implies {expected} for n={n} "
                f"({self.mode} mode); pass the whole stream with the n and mode it was written with"
            )
        nplanes = int(blocks.rate.max())
        record = np.zeros((blocks.header.size, _PLANES + 4 * nplanes), dtype=np.uint8)
        record[blocks.mask(nplanes)] = buf[hlen:]
        mags = unpack_planes(record[:, _PLANES:], nplanes).astype(np.int64)
        mags[:, 0] |= record[:, _Q0:_SIGN].copy().view("<u4")[:, 0]
        neg = np.unpackbits(record[:, _SIGN:_PLANES], axis=1).astype(bool)
        q = np.cumsum(np.where(neg, -mags, mags), axis=1).astype(np.int32)  # wraps like int32
        with np.errstate(over="ignore"):  # only corrupt streams overflow
            return (q.ravel()[:n].astype(dt) * dt.type(eb32)) * dt.type(2)

    def max_compressed_bytes(self, n: int, dtype: DTypeLike = np.float32) -> int:
        """Worst-case stream size for n values within the range contract."""
        n = check_count(n)
        # |q| < limit gives |d| <= 2*limit - 2, so at most bit_length(limit) planes.
        worst_rate = int(szp_q_limit(dtype)).bit_length()
        return szp_header_bytes(n) + -(-n // BLOCK) * (4 + 4 * worst_rate)


def _quantize(x: np.ndarray, eb32: np.float32) -> np.ndarray:
    """Quantization indices q of x as the kernels compute them, after the range checks."""
    bad = first_nonfinite(x)
    if bad is not None:
        raise InputError(
            f"data[{bad}] = {x[bad]} is not finite; SZp cannot store NaN/Inf: replace them "
            "(e.g. np.nan_to_num) or use the SZx codec, which keeps them exactly"
        )
    dt = x.dtype.type
    with np.errstate(over="ignore"):
        recip = dt(0.5) / dt(eb32)
    if not np.isfinite(recip):
        raise InputError(
            f"eb={float(eb32)!r} is so small that 0.5/eb overflows {x.dtype.name}; pass a larger eb"
        )
    with np.errstate(over="ignore"):
        t = x * recip
        qf = np.trunc(t + dt(0.5)) - (t < dt(-0.5))
    limit = _Q_LIMIT[x.dtype]
    too_big = ~(np.abs(qf) < limit)
    if too_big.any():
        i = int(np.argmax(too_big))
        need = _round_up(float(np.max(np.abs(x))) / (2 * (limit - 1)) * (1 + 2**-20))
        other = " (or compress the data as float64, limit 2**30)" if limit < 2**30 else ""
        raise InputError(
            f"data[{i}] = {x[i]} is {abs(float(x[i])) / (2 * float(eb32)):.4g} times 2*eb; SZp "
            f"needs |x|/(2*eb) to round below 2**{limit.bit_length() - 1} for {x.dtype.name}: "
            f"raise eb to at least {need:.4g}{other}"
        )
    return qf.astype(np.int32)


def _round_up(value: float) -> float:
    """value rounded up to 4 significant digits, so that a printed suggestion is safe."""
    step = 10.0 ** (np.floor(np.log10(value)) - 3)
    return float(np.ceil(value / step) * step)


def _block_deltas(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(|d| as uint32, d < 0) per 32-value block; the tail is padded with d = 0."""
    pad = -q.size % BLOCK
    q = np.concatenate([q, np.full(pad, q[-1], dtype=q.dtype)]).reshape(-1, BLOCK)
    d = q.astype(np.int64)
    d[:, 1:] -= q[:, :-1]
    return np.abs(d).astype(np.uint32), d < 0


def _choose(mags: np.ndarray, outlier_mode: bool) -> _Blocks:
    """Rates and the plain/outlier choice of each block."""
    r1 = bit_length(mags.max(axis=1))
    if not outlier_mode:
        zeros = np.zeros_like(r1)
        return _Blocks(r1.astype(np.uint8), zeros.astype(bool), r1, zeros)
    r2 = bit_length(mags[:, 1:].max(axis=1))
    nb = (bit_length(mags[:, 0]) + 7) // 8
    plain_size = np.where(r1 > 0, 4 + 4 * r1, 0)
    use = 4 + 4 * r2 + nb < plain_size  # plain wins ties (and q0 = 0 always ties)
    header = np.where(use, 0x80 | ((nb - 1) << 5) | r2, r1).astype(np.uint8)
    return _Blocks(header, use, np.where(use, r2, r1), np.where(use, nb, 0))


def _parse_header(buf: np.ndarray, n: int, outlier_mode: bool) -> _Blocks:
    """Read and check the rate bytes of a stream for n values."""
    hlen, nblocks = szp_header_bytes(n), -(-n // BLOCK)
    if buf.size < hlen:
        raise FormatError(
            f"SZp stream is {buf.size} bytes, shorter than the {hlen}-byte header that n={n} "
            "implies; pass the whole stream and the n it was written with"
        )
    if buf[nblocks:hlen].any():
        raise FormatError(
            f"SZp header padding (bytes {nblocks}..{hlen - 1}) is not zero; the stream is "
            f"corrupt or was written for a different n than {n}"
        )
    header = buf[:nblocks].astype(np.int64)
    use = (header & 0x80).astype(bool) if outlier_mode else np.zeros(nblocks, dtype=bool)
    rate = np.where(use, header & 0x1F, header)
    bad = np.flatnonzero(rate > 32)
    if bad.size:
        raise FormatError(
            f"SZp header byte {bad[0]} = {header[bad[0]]:#04x} is not a valid "
            f"{'outlier' if outlier_mode else 'plain'}-mode rate; the stream is corrupt or "
            "was written in the other mode"
        )
    nb = np.where(use, ((header >> 5) & 3) + 1, 0)
    return _Blocks(header.astype(np.uint8), use, rate, nb)
