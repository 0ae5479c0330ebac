"""What a study knows about each of its runs (status, tokens, cost), updated live from their events."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from szagents.models.pricing import PriceTable, cost_usd
from szagents.trajectory.reader import TRAJECTORY_FILENAME

__all__ = ["RunRecord", "Ledger", "scan_trajectory", "Status"]

Status = Literal["pending", "running", "done", "interrupted", "failed", "skipped"]


@dataclass
class RunRecord:
    """One run of the study: its cell, where it lives, what it has spent so far."""

    run_id: str
    cell: str
    run_dir: Path
    status: Status = "pending"
    attempts: int = 0
    tokens: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))  # model -> [in, out]
    best_gbps: float | None = None
    stop_reason: str | None = None
    error: str = ""

    def total_tokens(self) -> int:
        """Input plus output tokens so far."""
        return sum(i + o for i, o in self.tokens.values())


def scan_trajectory(path: Path) -> tuple[dict[str, list[int]], dict[str, Any] | None]:
    """(tokens per model from llm_call lines, the last run_end after the last run_start) of a trajectory."""
    tokens: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    end = None
    if not path.exists():
        return tokens, None
    with open(path, "rb") as handle:
        for raw in handle:
            try:
                record = json.loads(raw)
            except ValueError:
                continue  # a torn last line
            kind = record.get("event") if isinstance(record, dict) else None
            if kind == "llm_call":
                tokens[record.get("model", "?")][0] += int(record.get("input_tokens", 0))
                tokens[record.get("model", "?")][1] += int(record.get("output_tokens", 0))
            elif kind == "run_start":
                end = None
            elif kind == "run_end":
                end = record
    return tokens, end


class Ledger:
    """Thread-safe records of a study's runs; observers feed it events as runs write them."""

    def __init__(self, records: list[RunRecord], prices: PriceTable) -> None:
        self.records = {r.run_id: r for r in records}
        self.prices = prices
        self.lock = threading.Lock()

    def load(self) -> None:
        """Tokens, best throughput and finished state of runs already on disk."""
        for record in self.records.values():
            tokens, end = scan_trajectory(record.run_dir / TRAJECTORY_FILENAME)
            record.tokens = tokens
            if end is not None:
                record.status, record.stop_reason = "done", end.get("stop_reason")
                record.best_gbps = end.get("best_compress_gbps")
            elif record.run_dir.exists():
                record.status = "interrupted"

    def set(self, run_id: str, status: Status, error: str = "") -> None:
        """Change a run's status."""
        with self.lock:
            record = self.records[run_id]
            record.status, record.error = status, error
            if status == "running":
                record.attempts += 1

    def settle(self, run_id: str, status: Status, error: str = "") -> None:
        """Record how a run ended elsewhere (Ray, Slurm): tokens and best from its trajectory, then status."""
        record = self.records[run_id]
        tokens, end = scan_trajectory(record.run_dir / TRAJECTORY_FILENAME)
        with self.lock:
            record.tokens = tokens
            if end is not None:
                record.best_gbps, record.stop_reason = end.get("best_compress_gbps"), end.get("stop_reason")
        self.set(run_id, status, error)

    def observe(self, run_id: str, event: Any) -> None:
        """Account one written event of a run."""
        with self.lock:
            record = self.records[run_id]
            if event.event == "llm_call":
                record.tokens[event.model][0] += event.input_tokens
                record.tokens[event.model][1] += event.output_tokens
            elif event.event == "run_end":
                record.stop_reason, record.best_gbps = event.stop_reason, event.best_compress_gbps

    def cost(self, record: RunRecord) -> float | None:
        """Dollars a run has spent (None: a model without a price)."""
        return cost_usd(self.prices, {m: (t[0], t[1]) for m, t in record.tokens.items()})

    def spent_usd(self) -> float:
        """Dollars the whole study has spent so far (runs with unknown prices count 0)."""
        with self.lock:
            return sum(self.cost(r) or 0.0 for r in self.records.values())

    def by_cell(self) -> dict[str, list[RunRecord]]:
        """Records grouped by cell, in study order."""
        cells: dict[str, list[RunRecord]] = {}
        for record in self.records.values():
            cells.setdefault(record.cell, []).append(record)
        return cells
