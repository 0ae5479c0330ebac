"""Speed of the numpy reference codecs on a 25.9 MB 1800x3600 float32 climate-like field.

Run `python -m tests.codecs.test_speed` from the repository root for the timing table.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from szagents.codecs import SZp, SZx
from szagents.codecs.base import Codec

LIMIT_SECONDS = 10.0


def climate_field(seed: int = 0) -> np.ndarray:
    """A smooth 1800x3600 lat-lon field (a few sines plus noise), flattened, float32."""
    rng = np.random.default_rng(seed)
    lat = np.linspace(-np.pi / 2, np.pi / 2, 1800)[:, None]
    lon = np.linspace(0, 2 * np.pi, 3600)[None, :]
    field = (
        280
        + 30 * np.cos(lat)
        + 5 * np.sin(3 * lon) * np.cos(2 * lat)
        + 2 * np.sin(7 * lon + 5 * lat)
        + 0.05 * rng.standard_normal((1800, 3600))
    )
    return field.astype(np.float32).ravel()


def time_codec(codec: Codec, field: np.ndarray, eb: float) -> tuple[float, float, int]:
    """(compress seconds, decompress seconds, stream bytes) of one round trip."""
    start = time.perf_counter()
    stream = codec.compress(field, eb)
    middle = time.perf_counter()
    codec.decompress(stream, field.size, eb)
    return middle - start, time.perf_counter() - middle, len(stream)


@pytest.mark.slow
@pytest.mark.parametrize("codec", [SZp("plain"), SZp("outlier"), SZx()], ids=repr)
def test_large_field_round_trip_is_fast(codec):
    """Compressing and decompressing the 25.9 MB field each take under 10 seconds."""
    compress_s, decompress_s, _ = time_codec(codec, climate_field(), 1e-3)
    assert compress_s < LIMIT_SECONDS and decompress_s < LIMIT_SECONDS


def main() -> None:
    """Print compress/decompress seconds and ratio for each codec at two bounds."""
    field = climate_field()
    print(f"field: {field.size} float32 values, {field.nbytes / 1e6:.1f} MB")
    for eb in (1e-3, 1e-2):
        for codec in (SZp("plain"), SZp("outlier"), SZx()):
            compress_s, decompress_s, size = time_codec(codec, field, eb)
            print(
                f"{codec!r:22} eb={eb:g}: compress {compress_s:.2f} s, "
                f"decompress {decompress_s:.2f} s, ratio {field.nbytes / size:.2f}"
            )


if __name__ == "__main__":
    main()
