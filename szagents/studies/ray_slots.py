"""Benchmark slots on a Ray cluster: one benchmarking actor per (node, device) grants the device's timings.

`SZAGENTS_BENCH_SLOTS=ray:<namespace>` (set by the Ray executor) makes every benchmark of a run
task acquire the actor of its node and device: `cpu`, or `cuda<i>` for the GPU Ray assigned the
task (Ray sets CUDA_VISIBLE_DEVICES). The actor is created on first use, pinned to that node, and
holds no GPU share itself (that would keep runs off the GPU); it records every hold.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

__all__ = ["BenchSlot", "ray_slot", "slot_actor", "slot_holds"]

_PREFIX = "szagents-bench-slot"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


@ray.remote(num_cpus=0)
class BenchSlot:
    """Grants one device's benchmark slot to one holder at a time and logs every hold."""

    def __init__(self, device: str, node_id: str) -> None:
        self.device, self.node_id = device, node_id
        self.lock = asyncio.Lock()
        self.holds: list[dict[str, Any]] = []
        self.current: dict[str, Any] | None = None

    async def acquire(self, label: str) -> str:
        """Wait for the slot; return when it is the caller's."""
        await self.lock.acquire()
        self.current = {"device": self.device, "node_id": self.node_id, "label": label, "acquired": _now()}
        return self.current["acquired"]

    async def release(self) -> None:
        """Give the slot back."""
        if self.current is not None:
            self.holds.append({**self.current, "released": _now()})
            self.current = None
        self.lock.release()

    async def log(self) -> list[dict[str, Any]]:
        """Every finished hold."""
        return list(self.holds)


def slot_actor(namespace: str, node_id: str, device: str) -> Any:
    """The slot actor of a node's device (created, pinned to the node, on first use)."""
    return BenchSlot.options(
        name=f"{_PREFIX}-{node_id}-{device}", namespace=namespace, get_if_exists=True, lifetime="detached",
        scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False),
    ).remote(device, node_id)


@contextmanager
def ray_slot(namespace: str, device: str, label: str = "") -> Iterator[None]:
    """Hold this node's device slot for the duration of the block (bench_slot's `ray:` scheme)."""
    actor = slot_actor(namespace, ray.get_runtime_context().get_node_id(), device)
    ray.get(actor.acquire.remote(label))
    try:
        yield
    finally:
        ray.get(actor.release.remote())


def slot_holds(namespace: str) -> list[dict[str, Any]]:
    """Every hold of every slot actor in namespace (from the driver)."""
    found = []
    for info in ray.util.list_named_actors(all_namespaces=True):
        if info["namespace"] == namespace and info["name"].startswith(_PREFIX):
            found.extend(ray.get(ray.get_actor(info["name"], namespace=namespace).log.remote()))
    return found
