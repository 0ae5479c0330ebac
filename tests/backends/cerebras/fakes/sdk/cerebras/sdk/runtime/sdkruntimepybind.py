"""Fake of the SDK's host runtime module: SdkRuntime, MemcpyDataType, MemcpyOrder.

Same call shapes as the documented API: SdkRuntime(compile_dir, cmaddr=None), get_id(name),
load(), run(), memcpy_h2d(dest_id, src, px, py, w, h, elem_per_pe, streaming=, data_type=,
order=, nonblock=), memcpy_d2h(dest, src_id, px, py, w, h, elem_per_pe, ...), launch(name,
*args, nonblock=), stop(). 16-bit transfers carry one value in the low half of each u32 word.
"""

from __future__ import annotations

import enum
from pathlib import Path

import numpy as np

from fake_device import FakeWafer


class MemcpyDataType(enum.Enum):
    MEMCPY_16BIT = 16
    MEMCPY_32BIT = 32


class MemcpyOrder(enum.Enum):
    ROW_MAJOR = 0
    COL_MAJOR = 1


class SdkRuntime:
    """A fake device session over a (fake) compiled program folder."""

    def __init__(self, bindir: str, cmaddr: str | None = None, **_: object) -> None:
        if not (Path(bindir) / "fake_program.json").is_file():
            raise RuntimeError(f"{bindir}: not a compiled CSL program (no ELF files)")
        self.wafer, self.cmaddr = FakeWafer(Path(bindir)), cmaddr
        self.loaded = self.running = False
        self.names: list[str] = []

    def get_id(self, name: str) -> int:
        if name not in self.wafer.exports:
            raise RuntimeError(f"Symbol '{name}' is not exported by the program")
        self.names.append(name)
        return len(self.names) - 1

    def load(self) -> None:
        self.loaded = True

    def run(self) -> None:
        if not self.loaded:
            raise RuntimeError("run() before load()")
        self.running = True

    def _region(self, symbol: int, px: int, py: int, w: int, h: int, elem: int) -> tuple[str, np.ndarray]:
        if not self.running:
            raise RuntimeError("memcpy before run()")
        name = self.names[symbol]
        memory = self.wafer.memory.get(name)
        if memory is None:
            raise RuntimeError(f"symbol '{name}' is a function, not an array")
        if px + w > self.wafer.w or py + h > self.wafer.h or elem > memory.shape[2]:
            raise RuntimeError(f"memcpy of {w}x{h} PEs x {elem} elements to '{name}' exceeds its "
                               f"{self.wafer.w}x{self.wafer.h} x {memory.shape[2]} extent")
        return name, memory[py:py + h, px:px + w, :elem]

    @staticmethod
    def _shape(flat: np.ndarray, w: int, h: int, elem: int, order: MemcpyOrder) -> np.ndarray:
        if order is MemcpyOrder.ROW_MAJOR:
            return flat.reshape(h, w, elem)
        return flat.reshape(elem, w, h).transpose(2, 1, 0)

    def memcpy_h2d(self, dest: int, src: np.ndarray, px: int, py: int, w: int, h: int, elem: int, *,
                   streaming: bool, data_type: MemcpyDataType, order: MemcpyOrder, nonblock: bool) -> None:
        name, region = self._region(dest, px, py, w, h, elem)
        if not self.wafer.exports[name]["mutable"]:
            raise RuntimeError(f"symbol '{name}' is not writable by the host")
        if src.size != w * h * elem or src.dtype.itemsize != 4:
            raise RuntimeError(f"memcpy_h2d: host array of {src.size} x {src.dtype} for {w}x{h}x{elem} words")
        words = self._shape(np.ascontiguousarray(src).view(np.uint32), w, h, elem, order)
        region[...] = words & 0xFFFF if data_type is MemcpyDataType.MEMCPY_16BIT else words

    def memcpy_d2h(self, dest: np.ndarray, src: int, px: int, py: int, w: int, h: int, elem: int, *,
                   streaming: bool, data_type: MemcpyDataType, order: MemcpyOrder, nonblock: bool) -> None:
        _, region = self._region(src, px, py, w, h, elem)
        if dest.size != w * h * elem or dest.dtype.itemsize != 4:
            raise RuntimeError(f"memcpy_d2h: host array of {dest.size} x {dest.dtype} for {w}x{h}x{elem} words")
        words = region & 0xFFFF if data_type is MemcpyDataType.MEMCPY_16BIT else region
        if order is MemcpyOrder.COL_MAJOR:
            words = words.transpose(2, 1, 0)
        dest.view(np.uint32)[...] = np.ascontiguousarray(words).ravel()

    def launch(self, name: str, *args: object, nonblock: bool = False) -> None:
        if not self.running:
            raise RuntimeError("launch before run()")
        if self.wafer.exports.get(name, {}).get("type") != "fn()void":
            raise RuntimeError(f"'{name}' is not an exported host-callable function")
        self.wafer.launch(name)

    def stop(self) -> None:
        self.running = False
