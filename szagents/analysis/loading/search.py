"""Search numbers from trajectories: best-so-far against tokens, cost and wall time; lineages; fast_p.

Every run contributes a best-so-far curve (a team run is a search of one agent). A point is added
at each correct, fully measured revision: its compression GB/s (the default objective) when it beats
the run's best so far, with the tokens, dollars and seconds spent by then. Dollars: the run's own cost
(run_end, priced by the run) spread over its tokens in proportion (exact for a run of one model).
Revisions a search only screened (the cascade's short benchmark) are never a best.

fast_p (KernelBench): the share of runs whose answer is correct, written by an agent, and at least p
times as fast (compression GB/s) as the starting code measured in the same run; a run without a
measured start (translations) has no speedup and is left out, and the table says how many.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from szagents.analysis.loading.runs import Runs
from szagents.analysis.stats import wilson
from szagents.trajectory import read_run

__all__ = ["FAST_P", "best_so_far", "fast_p", "is_search", "lineage", "search_runs"]

FAST_P = (1.0, 1.5, 2.0)


def _stamp(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def is_search(run_dir: Path) -> bool:
    """Whether a run's trajectory announces candidates (a best-of-n or evolve run)."""
    return any(e.event == "candidate" for e in read_run(run_dir))


def best_so_far(runs: Runs) -> pd.DataFrame:
    """One row per new best of each run (and one at its end): run, team, tokens, cost_usd, seconds, compress_gbps."""
    rows = []
    for run, run_dir, team in runs.runs[["run", "run_dir", "team"]].itertuples(index=False):
        events = read_run(Path(run_dir))
        screened = {e.revision for e in events if e.event == "candidate_result" and e.stage == "screen"}
        ends = [e for e in events if e.event == "run_end"]
        spent = sum(e.input_tokens + e.output_tokens for e in events if e.event == "llm_call")
        total_usd = ends[-1].cost_usd if ends and ends[-1].cost_usd is not None else float("nan")
        t0 = _stamp(events[0].ts) if events else None
        tokens, cost, best = 0, 0.0, 0.0
        for e in events:
            if e.event == "llm_call":
                tokens += e.input_tokens + e.output_tokens
                cost = total_usd * tokens / spent if spent else 0.0
            elif e.event == "revision" and e.correct and e.compress_gbps and e.number not in screened:
                if e.compress_gbps > best:
                    best = e.compress_gbps
                    rows.append({"run": run, "team": team, "tokens": tokens, "cost_usd": cost,
                                 "seconds": (_stamp(e.ts) - t0).total_seconds(), "compress_gbps": best})
        if best > 0:  # the curve runs on to what the whole run spent
            rows.append({"run": run, "team": team, "tokens": tokens, "cost_usd": cost,
                         "seconds": (_stamp(events[-1].ts) - t0).total_seconds(), "compress_gbps": best})
    return pd.DataFrame(rows, columns=["run", "team", "tokens", "cost_usd", "seconds", "compress_gbps"])


def lineage(run_dir: Path) -> pd.DataFrame:
    """One row per candidate of a search: candidate, generation, parent, inspirations, verdict, stage, archived."""
    events = read_run(Path(run_dir))
    results = {e.candidate_id: e for e in events if e.event == "candidate_result"}
    rows = []
    for e in events:
        if e.event != "candidate":
            continue
        result = results.get(e.candidate_id)
        rows.append({"candidate": e.candidate_id, "generation": e.generation, "parent": e.parent,
                     "inspirations": list(e.inspirations), "island": e.island,
                     "verdict": result.verdict if result else "unfinished", "stage": result.stage if result else "none",
                     "archived": bool(result and result.archived), "objective": result.objective if result else None})
    return pd.DataFrame(rows, columns=["candidate", "generation", "parent", "inspirations", "island", "verdict",
                                       "stage", "archived", "objective"])


def fast_p(runs: Runs) -> pd.DataFrame:
    """Per team x task: runs with a speedup, and fast_p with its Wilson interval for each p in FAST_P."""
    frame = runs.runs.copy()
    frame["speedup"] = frame["best_tc_gbps"] / frame["baseline_tc_gbps"]
    rows = []
    for (team, task), group in frame.groupby(["team", "task"], sort=True):
        measured = group[group["baseline_tc_gbps"].notna() & (group["baseline_tc_gbps"] > 0)]
        row = {"team": team, "task": task, "runs": len(group), "with_speedup": len(measured)}
        for p in FAST_P:
            hits = int((measured["success"].astype(bool) & (measured["speedup"] >= p)).sum())
            interval = wilson(hits, len(measured))
            row |= {f"fast_{p:g}": interval.estimate, f"fast_{p:g}_low": interval.low, f"fast_{p:g}_high": interval.high,
                    f"fast_{p:g}_hits": hits}
        rows.append(row)
    return pd.DataFrame(rows)


def search_runs(runs: Runs) -> list[str]:
    """Labels of the runs that are searches (best-of-n, evolve)."""
    return [r for r, d in runs.runs[["run", "run_dir"]].itertuples(index=False) if is_search(Path(d))]
