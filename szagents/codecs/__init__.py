"""Reference codecs: numpy SZp (cuSZp 1D) and SZx (random-access), the executable format spec."""

from szagents.codecs.base import Codec, codec_names, get_codec, register_codec
from szagents.codecs.szp import SZP_MODES, SZp
from szagents.codecs.szx import SZx

__all__ = [
    "Codec",
    "SZP_MODES",
    "SZp",
    "SZx",
    "codec_names",
    "get_codec",
    "register_codec",
]

# The built-in registry table: get_codec("szp", mode="outlier"), get_codec("szx").
register_codec("szp", SZp)
register_codec("szx", SZx)
