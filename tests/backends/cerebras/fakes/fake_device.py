"""The fake WSE behind the fake SdkRuntime: per-PE memory for the exported symbols, and what
`compress` / `decompress` do, computed per PE with szagents' numpy reference codecs.

The "program" is described by fake_program.json (written by the fake cslc): its exports, its
params, the codec, and a behaviour read from a `FAKE_BEHAVIOUR:` marker in the CSL:
  ok            correct streams and plausible cycle counts (start/end timestamps per PE)
  stall         `compress` never returns (the host's launch blocks forever)
  zero_time     correct results, but the timestamps are never written (all zero)
  stamps_once   correct results, timestamps written by the first launch only (later ones keep
                whatever tsc holds: stale times unless the host cleared it)
  wrong         `decompress` puts one value of one PE 3*eb off
  runtime_error the launch raises, as the runtime does when the device reports a failure
  unwritten     `decompress` leaves the last value of every PE unwritten
  status        `compress` on PE (1,0) reports status 7 in info[3]
  reads_input   `decompress` copies `values` (the original input, if still there) to `decoded`
  short_size    `compress` reports 8 bytes fewer than it wrote; `decompress` reads the whole buffer
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from szagents.codecs import get_codec

LENGTHS = {"values": "chunk", "decoded": "chunk", "stream": "cap_words", "info": 4, "tsc": 6}
CYCLES_PER_VALUE = 23  # plausible for a scalar loop on one PE; only used to make times non-zero


class FakeWafer:
    """Memory of every PE of the rectangle for the exported arrays, and the exported functions."""

    def __init__(self, out: Path) -> None:
        program = json.loads((Path(out) / "fake_program.json").read_text())
        self.exports, self.behaviour, self.params = program["exports"], program["behaviour"], program["params"]
        self.codec = get_codec(program["codec"], **({"mode": program["mode"]} if program["codec"] == "szp" else {}))
        self.w, self.h = self.params["width"], self.params["height"]
        self.memory = {name: np.zeros((self.h, self.w, self.length(name)), np.uint32)
                       for name in LENGTHS if name in self.exports}
        self.clock = 1000
        self.launches = 0

    def length(self, name: str) -> int:
        size = LENGTHS[name]
        return self.params[size] if isinstance(size, str) else size

    def launch(self, name: str) -> None:
        if self.behaviour == "runtime_error":
            raise RuntimeError(f"launch of '{name}' failed: device reported an exception on PE (0,0)")
        if self.behaviour == "stall" and name == "compress":
            while True:  # the RPC never returns: the PE never unblocks the command stream
                time.sleep(1)
        for py in range(self.h):
            for px in range(self.w):
                getattr(self, f"_{name}")(px, py)
                if self.behaviour != "stamps_once" or self.launches == 0:
                    self._stamp(px, py)
        self.launches += 1

    def _compress(self, px: int, py: int) -> None:
        info = self.memory["info"][py, px]
        n, eb = int(info[0]), float(info[1:2].view(np.float32)[0])
        if n == 0:
            return
        data = self.memory["values"][py, px, :n].view(np.float32)
        try:
            stream = self.codec.compress(data, eb)
        except Exception:  # noqa: BLE001 - the program would report a status
            info[3] = 2
            return
        words = np.frombuffer(stream + b"\0" * (-len(stream) % 4), np.uint32)
        self.memory["stream"][py, px, :words.size] = words
        info[2], info[3] = len(stream), 7 if self.behaviour == "status" and (px, py) == (1, 0) else 0
        if self.behaviour == "short_size":
            info[2] = len(stream) - 8

    def _decompress(self, px: int, py: int) -> None:
        info = self.memory["info"][py, px]
        n, eb, nbytes = int(info[0]), float(info[1:2].view(np.float32)[0]), int(info[2])
        if n == 0:
            return
        if self.behaviour == "reads_input":
            self.memory["decoded"][py, px, :n] = self.memory["values"][py, px, :n]
            info[3] = 0
            return
        stream = self.memory["stream"][py, px].tobytes()[:nbytes + (8 if self.behaviour == "short_size" else 0)]
        try:
            values = self.codec.decompress(stream, n, eb, np.float32)
        except Exception:  # noqa: BLE001 - a real program would decode garbage; this one reports it
            info[3] = 4
            return
        if self.behaviour == "wrong" and (px, py) == (0, 0):
            values[n // 2] += np.float32(3 * eb)
        if self.behaviour == "unwritten":
            n -= 1
        self.memory["decoded"][py, px, :n] = values[:n].view(np.uint32)
        info[3] = 0

    def _stamp(self, px: int, py: int) -> None:
        if "tsc" not in self.memory or self.behaviour == "zero_time":
            return
        n = int(self.memory["info"][py, px, 0])
        start = self.clock + 17 * (px + py)  # the counters of different PEs are not synchronized
        end = start + 40 + CYCLES_PER_VALUE * n
        words = [(t >> s) & 0xFFFF for t in (start, end) for s in (0, 16, 32)]
        self.memory["tsc"][py, px, :] = words
        self.clock = end + 1
