"""Load run folders (or sweep folders holding them) into tidy pandas DataFrames."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from szagents.analysis.loading.rows import RunRows, collect_run
from szagents.trajectory import TRAJECTORY_FILENAME

__all__ = ["Runs", "load_runs", "find_run_dirs", "recorded_cost_usd", "CONFIG_COLUMNS"]

CONFIG_COLUMNS = ["model", "tier", "task", "team", "sdk_version"]
"""The columns that make a configuration (success rates, comparisons group by them). sdk_version is the
Cerebras SDK a run used ("" for other backends): results of different SDKs never share a group."""

_RUN_COLUMNS = [
    "run", "run_id", "task", "kernel", "mode", "target", "backend", "variant", "team", "tier", "model",
    "stop_reason", "finished", "iterations", "input_tokens", "output_tokens", "tokens", "wall_seconds",
    "revisions", "correct_revisions", "success", "budget_exhausted", "best_revision", "best_tc_gbps", "best_td_gbps",
    "best_ratio",
    "final_revision", "final_tc_gbps", "final_td_gbps", "final_ratio", "baseline_tc_gbps", "baseline_td_gbps",
    "first_correct_revision", "first_correct_iteration", "first_correct_tokens", "first_correct_seconds",
    "exec_time_s", "tc_bandwidth_fraction", "td_bandwidth_fraction", "tc_joules_per_gb", "td_joules_per_gb", "device",
    "rollbacks", "errors", "run_dir",
    "isolation", "sdk_version",
]
_TABLE_COLUMNS = {
    "revisions": ["run", "number", "role", "action", "verdict", "correct", "runnable", "failure", "is_best",
                  "compress_gbps", "decompress_gbps", "ratio", "measurements", "compress_gbps_median",
                  "decompress_gbps_median", "ratio_median", "compress_bandwidth_fraction_median",
                  "decompress_bandwidth_fraction_median", "compress_joules_per_gb_median",
                  "decompress_joules_per_gb_median", "exec_time_s", "device", "detail", "iteration", "tokens",
                  "seconds", "diff", "path", "compress_cv", "decompress_cv", "reused_from", "remeasured"],
    "llm_calls": ["run", "call", "role", "model", "iteration", "input_tokens", "output_tokens", "latency_s", "tools",
                  "action", "context", "phase", "seconds"],
    "tool_calls": ["run", "call", "role", "tool", "ok", "duration_s", "path"],
    "benchmarks": ["run", "step", "by", "verdict", "content_sha256", "case", "dataset", "compress_gbps",
                   "decompress_gbps", "ratio", "compress_bandwidth_fraction", "decompress_bandwidth_fraction",
                   "compress_joules_per_gb", "decompress_joules_per_gb", "exec_time_s", "backend", "device",
                   "memory_bandwidth_gbps"],
}


@dataclass(frozen=True)
class Runs:
    """A set of runs as tidy tables: one row per run, revision, LLM call, tool call, benchmark case.

    Every table has a `run` column (a label unique within the set) to join on.
    """

    runs: pd.DataFrame
    revisions: pd.DataFrame
    llm_calls: pd.DataFrame
    tool_calls: pd.DataFrame
    benchmarks: pd.DataFrame

    def __len__(self) -> int:
        return len(self.runs)

    def select(self, labels: Iterable[str]) -> Runs:
        """The subset of runs whose label is in labels."""
        keep = set(labels)
        return Runs(*(table[table["run"].isin(keep)].reset_index(drop=True) for table in self._tables()))

    def run_dir(self, run: str) -> Path:
        """The folder of the run labelled run."""
        return Path(self.runs.loc[self.runs["run"] == run, "run_dir"].iloc[0])

    def _tables(self) -> tuple[pd.DataFrame, ...]:
        """The five tables in constructor order."""
        return self.runs, self.revisions, self.llm_calls, self.tool_calls, self.benchmarks

    @staticmethod
    def concat(parts: Sequence[Runs]) -> Runs:
        """One set from several (labels must already be unique across them)."""
        tables = zip(*(p._tables() for p in parts)) if parts else [[] for _ in range(5)]
        return Runs(*(pd.concat(list(t), ignore_index=True) if t else pd.DataFrame() for t in tables))


def find_run_dirs(paths: Iterable[Path]) -> list[Path]:
    """Run folders named by paths: each path is a run folder or a folder with run folders below it."""
    found: dict[Path, None] = {}
    for path in map(Path, paths):
        if (path / TRAJECTORY_FILENAME).is_file():
            found[path.resolve()] = None
            continue
        for trajectory in sorted(path.rglob(TRAJECTORY_FILENAME)):
            found[trajectory.parent.resolve()] = None
    return list(found)


def _first(rows: list[dict[str, Any]], key: str, default: Any = math.nan) -> Any:
    """rows[0][key], or default when there are no rows."""
    return rows[0][key] if rows else default


def _derive(rows: RunRows) -> dict[str, Any]:
    """Run-level numbers from the run's revisions: success, peaks, the final answer, first correct version."""
    run, revs = dict(rows.run), rows.revisions
    good = [r for r in revs if r["runnable"]]
    authored = [r for r in good if r["role"] != "baseline"]
    final = [r for r in revs if r["number"] == run.get("final_revision")] or [r for r in revs if r["is_best"]][-1:]
    best = [r for r in final if r["runnable"]]  # one revision gives best Tc, Td and ratio: the run's answer
    timed = [r for r in revs if not math.isnan(r["exec_time_s"])]
    baseline = [r for r in revs if r["role"] == "baseline"]
    run.update(
        revisions=len(revs), correct_revisions=len(good), success=bool(authored),
        budget_exhausted=str(run.get("stop_reason", "")).startswith("budget"),
        best_revision=_first(best, "number", None), best_tc_gbps=_first(best, "compress_gbps"),
        best_td_gbps=_first(best, "decompress_gbps"), best_ratio=_first(best, "ratio"),
        final_revision=_first(final, "number", None),
        final_tc_gbps=_first(final, "compress_gbps"), final_td_gbps=_first(final, "decompress_gbps"),
        final_ratio=_first(final, "ratio"), baseline_tc_gbps=_first(baseline, "compress_gbps"),
        baseline_td_gbps=_first(baseline, "decompress_gbps"),
        first_correct_revision=_first(authored, "number", None), first_correct_iteration=_first(authored, "iteration"),
        first_correct_tokens=_first(authored, "tokens"), first_correct_seconds=_first(authored, "seconds"),
        exec_time_s=_first(final, "exec_time_s") if final else _first(timed[-1:], "exec_time_s"),
        tc_bandwidth_fraction=_first(final, "compress_bandwidth_fraction_median"),
        td_bandwidth_fraction=_first(final, "decompress_bandwidth_fraction_median"),
        tc_joules_per_gb=_first(best, "compress_joules_per_gb_median"),
        td_joules_per_gb=_first(best, "decompress_joules_per_gb_median"),
        device=_first(final, "device", None) or next((b["device"] for b in rows.benchmarks if b["device"]), None),
        rollbacks=run.get("rollbacks", 0), errors=run.get("errors", 0),
    )
    return run


def _labels(collected: list[RunRows]) -> list[str]:
    """Unique run labels: the run id, or parent/run id where ids repeat."""
    ids = [c.run["run_id"] for c in collected]
    return [rid if ids.count(rid) == 1 else f"{Path(c.run['run_dir']).parent.name}/{rid}"
            for rid, c in zip(ids, collected)]


def _frame(rows: list[dict[str, Any]], columns: list[str] | None = None) -> pd.DataFrame:
    """rows as a DataFrame with columns first in the given order (present even when empty)."""
    frame = pd.DataFrame(rows)
    if columns is not None:
        frame = frame.reindex(columns=[*columns, *(c for c in frame.columns if c not in columns)])
    return frame


def load_runs(paths: Iterable[Path]) -> Runs:
    """Read every run folder under paths into a Runs; unreadable lines and unknown events warn and are skipped."""
    collected = [collect_run(d) for d in find_run_dirs(paths)]
    runs, tables = [], {"revisions": [], "llm_calls": [], "tool_calls": [], "benchmarks": []}
    for label, rows in zip(_labels(collected), collected):
        runs.append({"run": label, **_derive(rows)})
        for name in tables:
            tables[name].extend({"run": label, **row} for row in getattr(rows, name))
    frame = _frame(runs, _RUN_COLUMNS)
    for column in ("model", "tier", "task", "team", "kernel", "mode", "target", "backend", "stop_reason"):
        if column in frame:
            frame[column] = frame[column].fillna("?")
    frame["sdk_version"] = frame["sdk_version"].fillna("")
    return Runs(frame, *(_frame(rows, _TABLE_COLUMNS[name]) for name, rows in tables.items()))


def recorded_cost_usd(run_dir: str | Path) -> float:
    """cost_usd of the run's last run_end event (NaN when unpriced or written before costs were recorded)."""
    cost = math.nan
    path = Path(run_dir) / TRAJECTORY_FILENAME
    with open(path, "rb") as handle:
        for raw in handle:
            if b'"run_end"' in raw:
                try:
                    value = json.loads(raw).get("cost_usd")
                except ValueError:
                    continue
                cost = math.nan if value is None else float(value)
    return cost
