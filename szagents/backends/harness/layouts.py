"""Arena layouts of the validation rounds: the compressor's regions, then the decompressor's."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from szagents.backends.child import checks
from szagents.backends.child.arena import Arena
from szagents.backends.child.orders import CaseLayout, Regions
from szagents.backends.harness.staging import Case

__all__ = ["compress_layout", "fill_compress", "decode_layout", "fill_decode"]


def compress_layout(cases: Sequence[Case], arena: Arena) -> list[CaseLayout]:
    """Regions of every round: input, poisoned output (capacity + guard), input after the call."""
    layout = []
    for i, case in enumerate(cases):
        rounds = []
        for j, data in enumerate(case.rounds):
            names = Regions(f"c{i}r{j}src", f"c{i}r{j}dst", after=(after := f"c{i}r{j}after"))
            arena.add(names.src, data.nbytes)
            arena.add(names.dst, case.capacity + checks.GUARD_BYTES)
            arena.add(after, data.nbytes)
            rounds.append(names)
        layout.append(CaseLayout(case.dataset, case.n, case.eb, case.capacity, rounds))
    return layout


def fill_compress(cases: Sequence[Case], layout: list[CaseLayout], arena: Arena) -> None:
    for case, entry in zip(cases, layout):
        for data, names in zip(case.rounds, entry.rounds):
            arena.view(names.src)[:] = data.view(np.uint8)
            arena.view(names.dst)[:] = checks.BYTE_POISON


def decode_layout(cases: Sequence[Case], sizes: list[list[int]], c_layout: Sequence[CaseLayout],
                  arena: Arena) -> list[CaseLayout]:
    """Regions of every round: exactly the reported stream bytes plus poison, and a poisoned output."""
    layout = []
    for i, (case, entry) in enumerate(zip(cases, c_layout)):
        rounds = []
        for j, nbytes in enumerate(sizes[i]):
            names = Regions(f"c{i}r{j}src", f"c{i}r{j}dst", nbytes)
            arena.add(names.src, nbytes + checks.GUARD_BYTES)
            arena.add(names.dst, (case.n + checks.GUARD_ELEMENTS) * case.data.itemsize)
            rounds.append(names)
        layout.append(CaseLayout(entry.dataset, entry.n, entry.eb, entry.capacity, rounds))
    return layout


def fill_decode(cases: Sequence[Case], layout: list[CaseLayout], c_arena: Arena, c_layout: list[CaseLayout],
                arena: Arena) -> None:
    for i, (case, entry) in enumerate(zip(cases, layout)):
        for j, names in enumerate(entry.rounds):
            stream = arena.view(names.src)
            stream[: names.size] = c_arena.view(c_layout[i].rounds[j].dst)[: names.size]
            stream[names.size:] = checks.BYTE_POISON
            arena.view(names.dst, case.data.dtype)[:] = checks.poisoned(np, case.n + checks.GUARD_ELEMENTS, case.data.dtype)
