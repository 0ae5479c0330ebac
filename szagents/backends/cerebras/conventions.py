"""The contract between an agent's CSL and the host harness: params, exported symbols, shapes."""

from __future__ import annotations

import math
from dataclasses import dataclass

from szagents.codecs import get_codec
from szagents.errors import UnknownSpecError

__all__ = [
    "LAYOUT_FILE",
    "PE_FILE",
    "HOST_PARAMS",
    "INFO_WORDS",
    "TSC_WORDS",
    "HostSymbol",
    "HOST_SYMBOLS",
    "ELEMENT_BYTES",
    "cap_words",
    "host_params",
    "LAUNCH_RPC",
]

LAYOUT_FILE = "layout.csl"
PE_FILE = "pe.csl"
HOST_PARAMS = ("width", "height", "chunk", "cap_words")  # passed by cslc --params
INFO_WORDS = 4  # [n values, eb as f32 bits, stream bytes, status]
TSC_WORDS = 6  # start and end timestamps, three 16-bit words each (the <time> module's format)
ELEMENT_BYTES = {"u8": 1, "i8": 1, "u16": 2, "i16": 2, "f16": 2, "bf16": 2, "cb16": 2,
                 "u32": 4, "i32": 4, "f32": 4, "u64": 8, "i64": 8, "f64": 8, "bool": 1}


@dataclass(frozen=True)
class HostSymbol:
    """A symbol the harness reaches by name: an array (element, length per PE) or a function."""

    name: str
    element: str | None  # None for a host-callable function
    length: str = ""  # per-PE element count, as an expression over HOST_PARAMS
    host_writes: bool = False

    @property
    def export_type(self) -> str:
        """The type @export_name must declare: [*]f32, fn()void, ..."""
        return "fn()void" if self.element is None else f"[*]{self.element}"


HOST_SYMBOLS: tuple[HostSymbol, ...] = (
    HostSymbol("values", "f32", "chunk", host_writes=True),
    HostSymbol("decoded", "f32", "chunk", host_writes=True),
    HostSymbol("stream", "u32", "cap_words", host_writes=True),
    HostSymbol("info", "u32", str(INFO_WORDS), host_writes=True),
    # Host-written too: the host clears it before every launch, so a launch that records no
    # timestamps reads as zero time instead of inheriting the previous launch's.
    HostSymbol("tsc", "u16", str(TSC_WORDS), host_writes=True),
    HostSymbol("compress", None),
    HostSymbol("decompress", None),
)


# The launch binding SDK 1.1.0 dropped from every example program, kept to recognize it. Where each
# convention of this module comes from (SDK release) is tabled in cerebras/README.md, section 8.
LAUNCH_RPC = "@rpc(@get_data_task_id(sys_mod.LAUNCH))"


def cap_words(codec: str, options: dict[str, str], chunk: int) -> int:
    """u32 words of stream capacity per PE: the reference codec's worst case for chunk values."""
    try:
        nbytes = get_codec(codec, **options).max_compressed_bytes(chunk)
    except UnknownSpecError:  # a user-defined kernel without a reference codec
        nbytes = 8 * chunk + 64
    return math.ceil(nbytes / 4)


def host_params(width: int, height: int, chunk: int, words: int) -> dict[str, int]:
    """The --params the backend passes to layout.csl."""
    return {"width": width, "height": height, "chunk": chunk, "cap_words": words}
