"""A numpy mirror of cerebras/reference/szx_quantizer/pe.csl, in f32 arithmetic as on a PE.

It checks the design of the reference translation (format, capacity, error bound under f32
rounding) where no SDK is present; whether the CSL computes the same is for `pytest -m cerebras`.
"""

from __future__ import annotations

import numpy as np

F32 = np.float32
BLOCK, RAW = 128, 32


def _step(eb: np.float32) -> np.float32:
    return F32(1.94) * eb


def _pack(codes: np.ndarray, bits: int) -> list[int]:
    acc, filled, words = 0, 0, []
    for q in codes.tolist():
        acc |= (q << filled) & 0xFFFFFFFF
        filled += bits
        if filled >= 32:
            words.append(acc)
            filled -= 32
            acc = 0 if filled == 0 else q >> (bits - filled)
    return words + ([acc] if filled else [])


def _block(x: np.ndarray, eb: np.float32) -> list[int]:
    raw = [RAW, *x.view(np.uint32).tolist()]
    if np.isnan(x).any():
        return raw
    lo, hi = x.min(), x.max()
    span = F32(hi - lo)
    if not span <= F32(1.0e38):
        return raw
    if span <= F32(1.98) * eb:
        return [0, int(F32(lo + F32(0.5) * span).view(np.uint32))]
    step = _step(eb)
    if not F32(span / step) <= F32(65000.0):
        return raw
    codes = (((x - lo) / step) + F32(0.5)).astype(np.uint32)  # f32 ops, then truncation as @as(u32, f)
    bits = max(1, int(codes.max()).bit_length())
    return [bits, int(lo.view(np.uint32)), *_pack(codes, bits)]


def compress(x: np.ndarray, eb: float) -> list[int]:
    """The u32 words one PE writes for its chunk x."""
    x, eb32 = np.asarray(x, F32), F32(eb)
    return [w for k in range(0, x.size, BLOCK) for w in _block(x[k:k + BLOCK], eb32)]


def decompress(words: list[int], n: int, eb: float) -> np.ndarray:
    """The n values decoded from one PE's words."""
    out, pos, eb32 = np.empty(n, F32), 0, F32(eb)
    for first in range(0, n, BLOCK):
        size = min(BLOCK, n - first)
        kind = words[pos]
        if kind == RAW:
            out[first:first + size] = np.array(words[pos + 1:pos + 1 + size], np.uint32).view(F32)
            pos += 1 + size
            continue
        base = np.array([words[pos + 1]], np.uint32).view(F32)[0]
        pos += 2
        if kind == 0:
            out[first:first + size] = base
            continue
        nwords = -(-size * kind // 32)
        packed = int.from_bytes(np.array(words[pos:pos + nwords], np.uint32).tobytes(), "little")
        codes = np.array([(packed >> (kind * i)) & ((1 << kind) - 1) for i in range(size)], np.uint32)
        out[first:first + size] = base + codes.astype(F32) * _step(eb32)
        pos += nwords
    return out
