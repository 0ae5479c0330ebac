"""The Codec protocol every reference codec satisfies, and the registry that names them."""

from __future__ import annotations

from typing import Callable, Protocol, runtime_checkable

import numpy as np
from numpy.typing import DTypeLike

from szagents.errors import UnknownSpecError

__all__ = ["Codec", "register_codec", "get_codec", "codec_names"]


@runtime_checkable
class Codec(Protocol):
    """A lossless-layout, error-bounded codec: bytes out, values back within an absolute eb."""

    name: str

    def compress(self, data: np.ndarray, eb: float) -> bytes:
        """Compress a 1D float32/float64 array with absolute error bound eb."""
        ...

    def decompress(
        self, stream: bytes, n: int, eb: float, dtype: DTypeLike = np.float32
    ) -> np.ndarray:
        """Rebuild n values of dtype from stream; n, eb and dtype are not stored in it."""
        ...

    def max_compressed_bytes(self, n: int, dtype: DTypeLike = np.float32) -> int:
        """Worst-case stream size for n values: the capacity a caller must provide."""
        ...


_FACTORIES: dict[str, Callable[..., Codec]] = {}


def register_codec(name: str, factory: Callable[..., Codec]) -> None:
    """Make `get_codec(name, **options)` build a codec with `factory(**options)`."""
    _FACTORIES[name] = factory


def codec_names() -> list[str]:
    """Names of the registered codecs."""
    return sorted(_FACTORIES)


def get_codec(name: str, **options: object) -> Codec:
    """Build the codec registered as name, e.g. get_codec("szp", mode="outlier")."""
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise UnknownSpecError(
            f"unknown codec {name!r}; known codecs: {', '.join(codec_names())}"
        ) from None
    return factory(**options)
