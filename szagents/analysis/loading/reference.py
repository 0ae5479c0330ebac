"""Reference-kernel throughput: from a user's CSV/JSON file or from runs tagged as reference (team 'reference').

File format, CSV or JSON (a list of objects, or {"references": [...]}), one entry per kernel and backend:
`kernel, backend, compress_gbps, decompress_gbps` and optionally `variant` and `label`, e.g.
`{"kernel": "szx", "backend": "cuda", "compress_gbps": 1270.6, "decompress_gbps": 911.2, "label": "cuSZx"}`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from szagents.analysis.loading.runs import Runs
from szagents.errors import InputError

__all__ = ["REFERENCE_TEAM", "load_reference", "reference_from_runs", "reference_fractions"]

REFERENCE_TEAM = "reference"
"""Runs whose team is named this measure the reference kernel (their best Tc/Td is the reference)."""

_REQUIRED = ["kernel", "backend", "compress_gbps", "decompress_gbps"]


def load_reference(path: Path) -> pd.DataFrame:
    """Reference numbers from a CSV or JSON file (columns: kernel, backend, compress_gbps, decompress_gbps[, variant, label])."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(path.read_text())
            frame = pd.DataFrame(data.get("references", []) if isinstance(data, dict) else data)
        else:
            frame = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read reference numbers from {path}: {exc}") from exc
    missing = [c for c in _REQUIRED if c not in frame]
    if missing:
        raise InputError(f"reference file {path} lacks column(s) {', '.join(missing)}; "
                         f"give {', '.join(_REQUIRED)} (optional: variant, label)")
    frame = frame.assign(label=frame["label"] if "label" in frame else "reference")
    return frame.astype({"compress_gbps": float, "decompress_gbps": float})


def reference_from_runs(runs: Runs) -> pd.DataFrame:
    """Reference numbers as the median best Tc/Td of the runs whose team is 'reference', per kernel and backend."""
    tagged = runs.runs[runs.runs["team"] == REFERENCE_TEAM]
    if tagged.empty:
        return pd.DataFrame(columns=[*_REQUIRED, "label"])
    frame = tagged.groupby(["kernel", "backend"]).agg(compress_gbps=("best_tc_gbps", "median"),
                                                      decompress_gbps=("best_td_gbps", "median")).reset_index()
    return frame.assign(label="reference runs")


def reference_fractions(runs: Runs, reference: pd.DataFrame) -> pd.DataFrame:
    """Per run: best Tc and Td as fractions of the reference of its kernel and backend (NaN where none)."""
    keys = ["kernel", "backend"] + (["variant"] if "variant" in reference and reference["variant"].notna().all() else [])
    ref = reference.drop_duplicates(keys)[[*keys, "compress_gbps", "decompress_gbps", "label"]]
    ref = ref.rename(columns={"compress_gbps": "reference_tc_gbps", "decompress_gbps": "reference_td_gbps",
                              "label": "reference"})
    merged = runs.runs[["run", "model", "tier", "task", "team", *keys, "success", "best_tc_gbps", "best_td_gbps"]]
    merged = merged.merge(ref, on=keys, how="left")
    return merged.assign(tc_fraction=merged["best_tc_gbps"] / merged["reference_tc_gbps"],
                         td_fraction=merged["best_td_gbps"] / merged["reference_td_gbps"])
