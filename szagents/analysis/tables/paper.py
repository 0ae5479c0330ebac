"""The study's published numbers (Fig. 2 peaks, Fig. 3 iteration ranges, Tables I-III) beside a user's runs.

`szagents report RUNS --reference paper` adds these tables. The paper measured on an NVIDIA V100
(cuda) and a Cerebras CS-3 (WSE-3); every paper column names that hardware and every column of
yours names the device your runs measured on, so nobody mistakes a hardware gap for an agent gap.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pandas as pd

from szagents.analysis.loading.runs import Runs
from szagents.analysis.stats import bootstrap_median, wilson
from szagents.analysis.tables.display import Cell, Table, fmt_gbps

__all__ = ["PAPER_FILE", "paper_reference", "paper_backend", "paper_tables"]

PAPER_FILE = Path(__file__).resolve().parent / "paper_reference.json"


@functools.lru_cache(maxsize=1)
def paper_reference() -> dict[str, Any]:
    """The bundled data set of the paper's numbers."""
    return json.loads(PAPER_FILE.read_text())


def paper_backend(part: str) -> str:
    """The backend whose runs stand beside a part of the paper (fig2_peaks, fig3_iterations, table1, traces)."""
    return paper_reference()["backends"][part]


def _devices(frame: pd.DataFrame) -> str:
    found = sorted({str(d) for d in frame["device"].dropna() if str(d) not in ("", "None")}) if len(frame) else []
    return ", ".join(found) or "device unknown"


def _mine(runs: Runs, kernel: str, backend: str, model: str | None = None, tier: str | None = None) -> pd.DataFrame:
    frame = runs.runs
    keep = (frame["kernel"] == kernel) & (frame["backend"] == backend)
    if model is not None:
        keep &= frame["model"] == model
    if tier is not None:
        keep &= frame["tier"] == tier
    return frame[keep]


def _yours_gbps(frame: pd.DataFrame, column: str) -> str:
    good = frame.loc[frame["success"], column] if len(frame) else pd.Series(dtype=float)
    if not len(good.dropna()):
        return f"— (n={len(frame)})"
    ci = bootstrap_median(good)
    return f"peak {fmt_gbps(good.max())}; median {ci.text()} on {_devices(frame)}"


def _fig2_table(runs: Runs, ref: dict[str, Any]) -> Table:
    backend = ref["backends"]["fig2_peaks"]
    gpu, rows, data = ref["hardware"][backend], [], []
    names = {"compress_gbps": ("peak Tc (GB/s)", "best_tc_gbps"), "decompress_gbps": ("peak Td (GB/s)", "best_td_gbps")}
    for entry in ref["fig2_peaks"]:
        spec = ref["models"][entry["model"]]
        label, column = names[entry["metric"]]
        paper = f"{entry['low']:g}" if entry["low"] == entry["high"] else f"{entry['low']:g}–{entry['high']:g}"
        yours = _yours_gbps(_mine(runs, entry["kernel"], backend, spec), column)
        rows.append([Cell(entry["kernel"]), Cell(entry["model"]), Cell(label), Cell(paper), Cell(yours)])
        data.append({**entry, "paper_hardware": gpu, "yours": yours})
    for entry in ref["fig3_iterations"]:
        mine = _mine(runs, entry["kernel"], ref["backends"]["fig3_iterations"], ref["models"][entry["model"]])
        its = mine["iterations"].dropna() if len(mine) else pd.Series(dtype=float)
        yours = f"{int(its.min())}–{int(its.max())} (n={len(its)})" if len(its) else "— (n=0)"
        rows.append([Cell(entry["kernel"]), Cell(entry["model"]), Cell("LLM calls (range over tiers)"),
                     Cell(f"{entry['low']}–{entry['high']}"), Cell(yours)])
        data.append({**entry, "metric": "iterations", "paper_hardware": gpu, "yours": yours})
    notes = [f"Paper: CUDA translation on an {gpu} (Fig. 2 peaks over three prompt tiers, Fig. 3 iteration ranges), "
             f"as published. Yours: runs of the same kernel and model on the {backend} backend, peak and median best "
             "throughput of successful runs with a 95 % bootstrap interval, on the device named."]
    return Table("paper_fig2", f"Beside the paper: CUDA throughput (paper: {gpu})",
                 ["Kernel", "Model", "Metric", f"Paper ({gpu})", "Yours"], rows, pd.DataFrame(data),
                 align="lllrl", notes=notes)


def _table1(runs: Runs, ref: dict[str, Any]) -> Table:
    backend = ref["backends"]["table1"]
    wse, rows, data = ref["hardware"][backend], [], []
    for entry in ref["table1"]:
        mine = _mine(runs, entry["kernel"], backend, ref["models"][entry["model"]], entry["tier"])
        rate = wilson(int(mine["success"].sum()), len(mine)) if len(mine) else None
        runnable = f"{int(mine['success'].sum())}/{len(mine)} {rate.text(percent=True).rsplit(' n=', 1)[0]}" if rate else "— (n=0)"
        its = f"{mine['iterations'].median():.0f}" if len(mine) else "—"
        rows.append([Cell(entry["model"]), Cell(entry["kernel"]), Cell(entry["tier"]), Cell(str(entry["iterations"])),
                     Cell(str(entry["exec_time_s"]) + (" (failed)" if entry["exec_time_s"] == 0 else "")),
                     Cell(runnable), Cell(its)])
        data.append({**entry, "paper_hardware": wse, "yours_runnable": runnable, "yours_iterations": its})
    notes = [f"Paper: single runs on a {wse}; an execution time of 0 means no runnable program. Yours: {backend} "
             "runs of the same model, kernel and tier — runnable/total with a 95 % Wilson interval, median LLM calls."]
    return Table("paper_table1", f"Beside the paper: Table I, Cerebras (paper: {wse})",
                 ["Model", "Kernel", "Tier", "Paper iterations", "Paper exec. time (s)", "Yours: runnable",
                  "Yours: iterations"], rows, pd.DataFrame(data), align="lllrrll", notes=notes)


def _best(trace: list[list[Any]], index: int) -> list[Any]:
    return max(trace, key=lambda step: step[index])


def _traces(runs: Runs, ref: dict[str, Any]) -> Table:
    backend = ref["backends"]["traces"]
    gpu, rows, data = ref["hardware"][backend], [], []
    for kernel, name in (("szx", "Table II (Cu-SZx)"), ("szp", "Table III (Cu-SZp)")):
        trace = ref["traces"][kernel]
        tc, td = _best(trace, 1), _best(trace, 2)
        mine = _mine(runs, kernel, backend)
        mine = mine[mine["mode"] == "optimize"] if len(mine) else mine
        paper = f"Tc {tc[1]:g} (step {tc[0]}), Td {td[2]:g} (step {td[0]}); baseline {trace[0][1]:g} / {trace[0][2]:g}"
        yours = f"Tc {_yours_gbps(mine, 'best_tc_gbps')}; Td {_yours_gbps(mine, 'best_td_gbps')}"
        rows.append([Cell(name), Cell(paper), Cell(yours)])
        data.append({"kernel": kernel, "paper_best_tc": tc[1], "paper_best_td": td[2], "paper_hardware": gpu,
                     "paper_steps": len(trace), "yours": yours})
    notes = [f"Paper: one optimization trace per kernel on an {gpu}, 25 MB input, median Tc/Td per step as published "
             f"(the full traces are in szagents/analysis/tables/paper_reference.json). Yours: {backend} optimize runs."]
    return Table("paper_traces", f"Beside the paper: optimization traces (paper: {gpu})",
                 ["Trace", f"Paper best ({gpu})", "Yours"], rows, pd.DataFrame(data), align="lll", notes=notes)


def paper_tables(runs: Runs) -> list[Table]:
    """The paper's numbers beside these runs: Fig. 2/3 (V100), Table I (CS-3), Tables II/III (V100)."""
    ref = paper_reference()
    return [_fig2_table(runs, ref), _table1(runs, ref), _traces(runs, ref)]
