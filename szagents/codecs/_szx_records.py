"""Block records of the SZx random-access stream: classification, encoding and decoding.

The layout and the rules are described in szagents.codecs.szx; this module does the
vectorised work over all blocks at once.
"""

from __future__ import annotations

import numpy as np

from szagents.codecs._bits import column_mask, ragged_positions
from szagents.errors import FormatError

__all__ = ["classify", "encode_records", "decode_records", "REC_HEAD"]

REC_HEAD = 5  # L byte + big-endian median


def _exponent(values: np.ndarray) -> np.ndarray:
    """Unbiased IEEE exponent field of float32 values (-127 for zero and subnormals)."""
    return ((values.view(np.uint32) >> 23) & 0xFF).astype(np.int64) - 127


def classify(blocks: np.ndarray, eb32: np.float32) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per block: constant?, the median (0 for lossless records) and L (0 for constant)."""
    finite = np.isfinite(blocks).all(axis=1)
    with np.errstate(over="ignore", invalid="ignore"):
        lo, hi = blocks.min(axis=1), blocks.max(axis=1)
        radius = (hi - lo) / np.float32(2)
        median = lo + radius
    const = (radius <= eb32) & finite
    eb_exponent = int(np.frexp(float(eb32))[1]) - 1  # SZx takes eb's exponent as a double
    length = 10 + _exponent(radius) - eb_exponent
    lossless = (length > 32) | ~finite
    length = np.where(lossless, 32, np.clip(length, 9, 32))
    median = np.where(lossless & ~const, np.float32(0), median).astype(np.float32)
    return const, median, np.where(const, 0, length)


def encode_records(
    blocks: np.ndarray, counts: np.ndarray, median: np.ndarray, length: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated records of the non-constant blocks, and each record's size."""
    nbytes = (length + 7) // 8
    shift = (8 * nbytes - length).astype(np.uint32)
    with np.errstate(invalid="ignore"):
        bits = (blocks - median[:, None]).view(np.uint32)
    zero = median.view(np.uint32) == 0  # x - (+0.0) is x bit for bit, except that it quiets NaNs
    bits = np.where(zero[:, None], blocks.view(np.uint32), bits)
    v = bits >> shift[:, None]
    valid = np.arange(blocks.shape[1]) < counts[:, None]
    lead = np.where(valid, _leading_bytes(v), 0)
    mids = _mid_mask(lead, nbytes, valid)
    code_len = -(-counts // 4)
    codes = _pack_codes(lead)
    record = np.concatenate(
        [
            length.astype(np.uint8)[:, None],
            median.astype(">f4").view(np.uint8).reshape(-1, 4),
            codes,
            v.astype("<u4").view(np.uint8).reshape(v.shape[0], 4 * v.shape[1]),
        ],
        axis=1,
    )
    keep = np.concatenate(
        [
            np.ones((v.shape[0], REC_HEAD), dtype=bool),
            column_mask(codes.shape[1], np.zeros_like(code_len), code_len),
            mids.reshape(v.shape[0], 4 * v.shape[1]),
        ],
        axis=1,
    )
    sizes = REC_HEAD + code_len + mids.sum(axis=(1, 2))
    return record[keep], sizes


def _leading_bytes(v: np.ndarray) -> np.ndarray:
    """Identical leading bytes of each v and its predecessor in the block, capped at 3."""
    prev = np.zeros_like(v)
    prev[:, 1:] = v[:, :-1]
    xor = v ^ prev
    lead = np.zeros(v.shape, dtype=np.int64)
    for shift, count in ((24, 1), (16, 2), (8, 3)):
        lead[(xor >> np.uint32(shift)) == 0] = count
    return lead


def _mid_mask(lead: np.ndarray, nbytes: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """(rows, bs, 4) mask of the bytes of v (little-endian index k) stored in the stream."""
    k = np.arange(4)
    kept = np.minimum(lead, nbytes[:, None])
    return (
        (k >= (4 - nbytes)[:, None, None]) & (k < (4 - kept)[:, :, None]) & valid[:, :, None]
    )


def _pack_codes(lead: np.ndarray) -> np.ndarray:
    """2-bit lead codes, four per byte, first value in the high bits."""
    pad = -lead.shape[1] % 4
    quads = np.pad(lead, ((0, 0), (0, pad)))
    quads = quads.reshape(lead.shape[0], quads.shape[1] // 4, 4)
    packed = (quads[..., 0] << 6) | (quads[..., 1] << 4) | (quads[..., 2] << 2) | quads[..., 3]
    return packed.astype(np.uint8)


def decode_records(
    buf: np.ndarray, starts: np.ndarray, sizes: np.ndarray, counts: np.ndarray, bs: int
) -> np.ndarray:
    """Values of the non-constant blocks, (records, bs) float32 (tail padding unspecified)."""
    rows = starts.size
    code_len = -(-counts // 4)
    if (sizes < REC_HEAD + code_len).any():
        bad = int(np.argmax(sizes < REC_HEAD + code_len))
        raise FormatError(f"SZx record {bad} is {sizes[bad]} bytes, too short for its header")
    length = buf[starts].astype(np.int64)
    if ((length < 9) | (length > 32)).any():
        bad = int(np.argmax((length < 9) | (length > 32)))
        raise FormatError(f"SZx record {bad} has L={length[bad]}, outside 9..32; corrupt stream")
    median = buf[starts[:, None] + 1 + np.arange(4)].copy().view(">f4")[:, 0].astype(np.float32)
    code_cols = -(-bs // 4)
    idx = np.minimum(starts[:, None] + REC_HEAD + np.arange(code_cols), buf.size - 1)
    codes = np.where(np.arange(code_cols) < code_len[:, None], buf[idx], 0)
    lead = (codes[:, :, None] >> np.array([6, 4, 2, 0])) & 3
    lead = lead.reshape(rows, 4 * code_cols)[:, :bs]
    nbytes = (length + 7) // 8
    valid = np.arange(bs) < counts[:, None]
    mids = _mid_mask(lead, nbytes, valid)
    stored = sizes - REC_HEAD - code_len
    if (mids.sum(axis=(1, 2)) != stored).any():
        bad = int(np.argmax(mids.sum(axis=(1, 2)) != stored))
        raise FormatError(f"SZx record {bad}: lead codes disagree with its size; corrupt stream")
    vbytes = np.zeros((rows, bs, 4), dtype=np.uint8)
    vbytes[mids] = buf[ragged_positions(starts + REC_HEAD + code_len, stored)]
    _inherit_leading(vbytes, mids)
    v = vbytes.view("<u4")[..., 0] << (8 * nbytes - length).astype(np.uint32)[:, None]
    values = v.view(np.float32)
    add = median.view(np.uint32) != 0  # a zero median is not added: -0.0 and NaNs stay exact
    with np.errstate(over="ignore", invalid="ignore"):  # only corrupt streams overflow
        values[add] += median[add][:, None]
    return values


def _inherit_leading(vbytes: np.ndarray, stored: np.ndarray) -> None:
    """Fill each byte lane not stored for a value with the lane of the last value that stored it."""
    positions = np.arange(vbytes.shape[1])
    for k in range(4):
        writer = np.maximum.accumulate(np.where(stored[:, :, k], positions, -1), axis=1)
        lane = np.take_along_axis(vbytes[:, :, k], np.maximum(writer, 0), axis=1)
        vbytes[:, :, k] = np.where(writer >= 0, lane, 0)
