"""Arena layouts of the validation rounds: the compressor's regions, then the decompressor's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from szagents.backends.child import checks
from szagents.backends.child.arena import Arena
from szagents.backends.harness.staging import Case

__all__ = ["compress_layout", "fill_compress", "decode_layout", "fill_decode"]


def compress_layout(cases: Sequence[Case], arena: Arena) -> list[dict[str, Any]]:
    """Regions of every round: input, poisoned output (capacity + guard), input after the call."""
    layout = []
    for i, case in enumerate(cases):
        rounds = []
        for j, data in enumerate(case.rounds):
            names = {k: f"c{i}r{j}{k}" for k in ("src", "dst", "after")}
            arena.add(names["src"], data.nbytes)
            arena.add(names["dst"], case.capacity + checks.GUARD_BYTES)
            arena.add(names["after"], data.nbytes)
            rounds.append(names)
        layout.append({"dataset": case.dataset, "n": case.n, "eb": case.eb, "capacity": case.capacity, "rounds": rounds})
    return layout


def fill_compress(cases: Sequence[Case], layout: list[dict[str, Any]], arena: Arena) -> None:
    for case, entry in zip(cases, layout):
        for data, names in zip(case.rounds, entry["rounds"]):
            arena.view(names["src"])[:] = data.view(np.uint8)
            arena.view(names["dst"])[:] = checks.BYTE_POISON


def decode_layout(cases: Sequence[Case], sizes: list[list[int]], c_layout: list[dict[str, Any]],
                   arena: Arena) -> list[dict[str, Any]]:
    """Regions of every round: exactly the reported stream bytes plus poison, and a poisoned output."""
    layout = []
    for i, (case, entry) in enumerate(zip(cases, c_layout)):
        rounds = []
        for j, nbytes in enumerate(sizes[i]):
            names = {"src": f"c{i}r{j}src", "dst": f"c{i}r{j}dst", "size": nbytes}
            arena.add(names["src"], nbytes + checks.GUARD_BYTES)
            arena.add(names["dst"], (case.n + checks.GUARD_ELEMENTS) * case.data.itemsize)
            rounds.append(names)
        layout.append({**entry, "rounds": rounds})
    return layout


def fill_decode(cases: Sequence[Case], layout: list[dict[str, Any]], c_arena: Arena, c_layout: list[dict[str, Any]],
                 arena: Arena) -> None:
    for i, (case, entry) in enumerate(zip(cases, layout)):
        for j, names in enumerate(entry["rounds"]):
            stream = arena.view(names["src"])
            stream[: names["size"]] = c_arena.view(c_layout[i]["rounds"][j]["dst"])[: names["size"]]
            stream[names["size"]:] = checks.BYTE_POISON
            arena.view(names["dst"], case.data.dtype)[:] = checks.poisoned(np, case.n + checks.GUARD_ELEMENTS, case.data.dtype)
