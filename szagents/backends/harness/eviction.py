"""The cpu benchmark's cache flush: evict exactly the memory a timed repetition is given.

The trusted parent writes a cpu repetition's input just before its `go` (benchrun.py), so the input,
and the output it poisoned, sit in the caches; left there, the timed call would read from the
last-level cache instead of memory. Before each `go` the parent writes both back and invalidates
them on every core (clflushopt, else clflush, on x86-64; dc civac on AArch64), through the few lines
of C in evict.c, built once per machine with the host's C compiler into the user cache. That costs
what the repetition's bytes cost to write back. Where the helper cannot be built or the machine has
none of those instructions, the parent sweeps a buffer twice the size of the largest cache instead
(tens to hundreds of milliseconds per repetition on a large L3: bench/cache_flush.py). `method` says which ran.

What the kernel keeps of its own (tables, scratch it allocated) stays warm, as it would across the
calls of a real pipeline; the data the repetition is given never is.
"""

from __future__ import annotations

import ctypes
import functools
import glob
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np

from szagents.paths import cache_dir

__all__ = ["CacheEviction", "llc_bytes"]

_SOURCE = Path(__file__).with_name("evict.c")
_FLAGS = ("-O2", "-shared", "-fPIC", "-w")
_METHODS = {1: "clflushopt of the repetition's input and output", 2: "clflush of the repetition's input and output",
            3: "dc civac of the repetition's input and output"}


class CacheEviction:
    """Evicts memory regions from every cache level, once per timed cpu repetition (the parent's side)."""

    def __init__(self) -> None:
        self._scratch: np.ndarray | None = None
        self.method = "none yet"

    def evict(self, *regions: np.ndarray) -> None:
        """Write back and invalidate every byte of regions; sweep the caches where that cannot be done."""
        library, why = _helper()
        if library is not None:
            used = 0
            for region in regions:
                used = library.szagents_evict(ctypes.c_void_p(region.ctypes.data), ctypes.c_size_t(region.nbytes))
            if used in _METHODS:
                self.method = _METHODS[used]
                return
            why = "this CPU has no cache-line flush the helper knows"
        self._sweep()
        self.method = f"a sweep of twice the largest cache ({why})"

    def _sweep(self) -> None:
        if self._scratch is None:
            self._scratch = np.zeros(2 * llc_bytes() // 8, dtype=np.int64)
        self._scratch += 1


@functools.lru_cache(maxsize=1)
def _helper() -> tuple[ctypes.CDLL | None, str]:
    """(the loaded helper, "") or (None, why it could not be built or loaded); built once per source and compiler."""
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return None, "no C compiler: set CC or install gcc"
    source = _SOURCE.read_bytes()
    identity = subprocess.run([compiler, "--version"], capture_output=True, check=False).stdout
    key = hashlib.sha256(b"\0".join([source, identity, " ".join(_FLAGS).encode()])).hexdigest()[:16]
    target = cache_dir("tools") / f"evict-{key}.so"
    if not target.exists():
        partial = target.with_name(f"{target.name}.{os.getpid()}.tmp")  # concurrent builders each write their own
        done = subprocess.run([compiler, *_FLAGS, "-o", str(partial), str(_SOURCE)], capture_output=True, text=True,
                              check=False, timeout=120)
        if done.returncode != 0:
            partial.unlink(missing_ok=True)
            return None, f"{compiler} could not build {_SOURCE.name}: {(done.stderr.strip().splitlines() or ['?'])[-1]}"
        os.replace(partial, target)
    try:
        library = ctypes.CDLL(str(target))
    except OSError as error:
        return None, f"the helper {target} did not load ({error})"
    library.szagents_evict.restype = ctypes.c_int
    library.szagents_evict.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    return library, ""


def llc_bytes() -> int:
    """Size of the largest CPU cache (sysfs), 32 MiB when unknown."""
    sizes = []
    for path in glob.glob("/sys/devices/system/cpu/cpu0/cache/index*/size"):
        try:
            text = open(path).read().strip()
        except OSError:
            continue
        scale = {"K": 1 << 10, "M": 1 << 20}.get(text[-1:], 1)
        sizes.append(int(text.rstrip("KM")) * scale)
    return max(sizes, default=32 << 20)
