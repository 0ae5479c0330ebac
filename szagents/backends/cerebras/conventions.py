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
    "SdkConvention",
    "SDK_CONVENTIONS",
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


@dataclass(frozen=True)
class SdkConvention:
    """One convention the backend relies on, and the SDK release whose public examples show it."""

    topic: str
    rule: str
    since: str  # SDK version of the Cerebras/csl-examples update the rule is read from


# What a CSL program, the host harness and the tools follow, and where each rule was read (the
# csl-examples repository's tutorials and benchmarks, and the cerebras-sdk client's source).
SDK_CONVENTIONS: tuple[SdkConvention, ...] = (
    SdkConvention("launch", "no @rpc(@get_data_task_id(sys_mod.LAUNCH)): memcpy serves launches itself; "
                  "WSE-3 rejects the binding", "1.1.0"),
    SdkConvention("exports", "a read-only export's pointer is `const`, a host-written one's `var`", "1.1.0"),
    SdkConvention("unblock", "every launched function ends with sys_mod.unblock_cmd_stream()", "1.0.0"),
    SdkConvention("cslc", "--arch, --fabric-dims, --fabric-offsets=4,1, --params, --memcpy, --channels, -o out",
                  "1.1.0"),
    SdkConvention("timestamps", "<time>: enable_tsc(), get_timestamp() into [tsc_size_words]u16 (48 bits)", "1.0.0"),
    SdkConvention("cs_python", "run from the folder holding run.py and out/, with --name out (relative)", "1.1.0"),
    SdkConvention("appliance", "SdkLauncher.run rewrites cs_python to python; %CMADDR% on hardware only",
                  "client 2.10.0"),
    SdkConvention("appliance compile", "SdkCompiler logs the compiler output (tab-indented) to stderr and "
                  "raises only 'SdkCompiler.compile() failed.'", "client 2.10.0"),
    SdkConvention("appliance config", "the usernode config is /opt/cerebras/config_v2 unless CSCONFIG_PATH names "
                  "another", "cerebras-appliance (client 2.10.0's dependency)"),
)

# The launch binding SDK 1.1.0 dropped from every example program (kept to recognize it).
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
