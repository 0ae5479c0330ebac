"""SZx: the numpy reference of SZx's random-access stream (`szx -m 3`/`-m 4`), float32.

Layout (the vectors decide where SZ_FORMATS is ambiguous; every multi-byte field is noted):

* Header (20 bytes): 1, 1, 1, 1 (version 1.1, the byte 1, random-access flag 1), the block
  size bs (8 bytes, big-endian), the number of constant blocks (8 bytes, big-endian).
* One uint16 size (little-endian) per non-constant block record, in block order.
* State bitmap: ceil(nblocks/8) bytes, MSB first, 1 = non-constant; the tail block counts.
* Constant medians: float32, **big-endian** (the vectors' non-zero medians show it).
* Records: [L:1][median: float32 big-endian][lead codes: ceil(m/4) bytes][mid-bytes].

Per block of m values (m = bs except the tail): radius = (max-min)/2 and median = min+radius
in float32; the block is constant when radius <= eb (eb rounded to float32). Otherwise
L = 10 + E(radius) - E(eb) (unbiased exponents), clamped to [9, 32]; L > 32 means L = 32 and
median = 0, which is lossless. B = ceil(L/8), s = 8B - L, v = bits(x - median) >> s as an
*unsigned* shift (zeros on top: the vectors decide; SZ_FORMATS said sign copies).
lead = identical leading bytes of v ^ v_prev (v_prev = 0 at the block start), capped at 3;
codes are 2 bits each, first value in the high bits. Each value emits v's bytes 4-B .. 3-lead
(least significant first), none when lead >= B.

Non-finite values: a block holding any NaN/Inf is stored losslessly (L = 32, median = 0), so
NaN payloads and infinities come back bit-exact. The original SZx does so only when the NaN is
the block's first value and otherwise lets it skew min/max. Decoding skips the addition of a
zero median, so -0.0 and NaN payloads survive.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import DTypeLike

from szagents.codecs._common import as_float_array, check_count, float32_bound, float_dtype
from szagents.codecs._szx_records import REC_HEAD, classify, decode_records, encode_records
from szagents.errors import FormatError, InputError

__all__ = ["SZx", "SZX_MAGIC"]

SZX_MAGIC = bytes([1, 1, 1, 1])
_HEAD = 20
_F32 = (np.dtype(np.float32),)
_MAX_BLOCK = 8192  # keeps every record below the 65535 bytes its uint16 size can say


class SZx:
    """SZx random-access codec for float32 data (block size 128 as the vectors use)."""

    name = "szx"

    def __init__(self, block_size: int = 128) -> None:
        if isinstance(block_size, bool) or int(block_size) != block_size or not (
            1 <= int(block_size) <= _MAX_BLOCK
        ):
            raise InputError(
                f"SZx block_size={block_size!r} is invalid; pass an integer in 1..{_MAX_BLOCK} "
                "(128 is SZx's default)"
            )
        self.block_size = int(block_size)

    def __repr__(self) -> str:
        return f"SZx(block_size={self.block_size})"

    def compress(self, data: np.ndarray, eb: float) -> bytes:
        """Compress a 1D float32 array with absolute error bound eb."""
        x = _as_float32(data)
        eb32 = float32_bound(eb)
        blocks, counts = self._blocks(x)
        const, median, length = classify(blocks, eb32)
        rows = np.flatnonzero(~const)
        payload, sizes = encode_records(blocks[rows], counts[rows], median[rows], length[rows])
        head = (
            SZX_MAGIC
            + self.block_size.to_bytes(8, "big")
            + int(const.sum()).to_bytes(8, "big")
        )
        return b"".join(
            (
                head,
                sizes.astype("<u2").tobytes(),
                np.packbits(~const).tobytes(),
                median[const].astype(">f4").tobytes(),
                payload.tobytes(),
            )
        )

    def decompress(
        self, stream: bytes, n: int, eb: float, dtype: DTypeLike = np.float32
    ) -> np.ndarray:
        """Rebuild n float32 values from stream; n is not stored in it (eb only checked)."""
        n = check_count(n)
        float32_bound(eb)
        _check_dtype(dtype)
        buf = np.frombuffer(stream, dtype=np.uint8)
        nblocks = -(-n // self.block_size)
        const, medians, sizes, offset = self._parse_head(buf, nblocks)
        out = np.empty((nblocks, self.block_size), dtype=np.float32)
        out[const] = medians[:, None]
        counts = np.full(nblocks, self.block_size)
        counts[-1] = n - (nblocks - 1) * self.block_size
        starts = offset + np.cumsum(sizes) - sizes
        out[~const] = decode_records(buf, starts, sizes, counts[~const], self.block_size)
        return out.ravel()[:n]

    def max_compressed_bytes(self, n: int, dtype: DTypeLike = np.float32) -> int:
        """Worst-case stream size: every block non-constant, lossless, with no shared bytes."""
        n = check_count(n)
        _check_dtype(dtype)
        nblocks = -(-n // self.block_size)
        tail = n - (nblocks - 1) * self.block_size
        codes = (nblocks - 1) * -(-self.block_size // 4) + -(-tail // 4)
        return _HEAD + -(-nblocks // 8) + nblocks * (2 + REC_HEAD) + codes + 4 * n

    def _blocks(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(nblocks, bs) view of x padded with its last value, and the real count per block."""
        pad = -x.size % self.block_size
        padded = np.concatenate([x, np.full(pad, x[-1], dtype=x.dtype)])
        counts = np.full(padded.size // self.block_size, self.block_size)
        counts[-1] -= pad
        return padded.reshape(-1, self.block_size), counts

    def _parse_head(
        self, buf: np.ndarray, nblocks: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """State per block, constant medians, record sizes and the records' offset."""
        if buf.size < _HEAD or bytes(buf[:4]) != SZX_MAGIC:
            raise FormatError(
                "stream does not start with the 20-byte SZx random-access header (1 1 1 1 ...); "
                "pass a stream written by SZx().compress or `szx -m 3`"
            )
        bs = int.from_bytes(bytes(buf[4:12]), "big")
        nconst = int.from_bytes(bytes(buf[12:20]), "big")
        if bs != self.block_size:
            raise FormatError(f"stream was written with block size {bs}; decode with SZx({bs})")
        if nconst > nblocks:
            raise FormatError(
                f"stream says {nconst} constant blocks but n gives only {nblocks}; pass the n "
                "it was written with"
            )
        nrec, nmap = nblocks - nconst, -(-nblocks // 8)
        offset = _HEAD + 2 * nrec + nmap + 4 * nconst
        if buf.size < offset:
            raise FormatError(
                f"SZx stream is {buf.size} bytes, shorter than its {offset}-byte metadata; "
                "the stream is truncated"
            )
        sizes = buf[_HEAD : _HEAD + 2 * nrec].copy().view("<u2").astype(np.int64)
        bits = np.unpackbits(buf[_HEAD + 2 * nrec : _HEAD + 2 * nrec + nmap])
        if bits[nblocks:].any() or int(bits.sum()) != nrec:
            raise FormatError(
                "SZx state bitmap disagrees with the constant-block count; the stream is corrupt "
                "or n is not the one it was written with"
            )
        if buf.size != offset + int(sizes.sum()):
            raise FormatError(
                f"SZx stream is {buf.size} bytes but its record sizes imply "
                f"{offset + int(sizes.sum())}; pass the whole stream"
            )
        medians = buf[offset - 4 * nconst : offset].copy().view(">f4").astype(np.float32)
        return bits[:nblocks] == 0, medians, sizes, offset


def _as_float32(data: np.ndarray) -> np.ndarray:
    """Checked 1D float32 input, with a clear message for float64."""
    return as_float_array(data, allowed=_F32)


def _check_dtype(dtype: DTypeLike) -> None:
    """Raise InputError unless dtype is float32 (the only one SZx supports here)."""
    float_dtype(dtype, allowed=_F32)
