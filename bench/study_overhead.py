"""Study orchestration overhead: wall time of 16 runs of sleeping scripted models at several concurrencies.

Each run is szx-translate-cpu with a scripted model that lists the workspace files 4 times and then
stops (5 LLM calls of a fixed latency, no compile or benchmark), so the only unavoidable time is the
model latency. Ideal wall = max(sum of latencies / concurrency, longest run); framework overhead =
1 - ideal / wall (what szagents itself adds: imports, workspaces, datasets, checkpoints, logs, threads).

    .venv/bin/python bench/study_overhead.py                      # local executor: 1, 4, 16 at once
    .venv/bin/python bench/study_overhead.py --executor ray --levels 1 2 4
    .venv/bin/python bench/study_overhead.py --latency 2 --runs 16

Results: a table on stdout and bench/results/study_overhead_<executor>.json.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEP = {"content": "Looking around.", "tool_calls": [{"name": "list_files", "args": {}}]}


def _study(folder: Path, runs: int, latency: float, concurrency: int) -> Path:
    script = folder / "look_around.json"
    script.write_text(json.dumps({"description": "lists files 4 times, then stops", "steps": [STEP] * 4}))
    path = folder / "study.toml"
    path.write_text(
        f'[study]\nname = "overhead"\nruns_dir = "runs"\nrepeats = {runs // 4}\nbudget = "iterations=10"\n'
        f"quick = true\nconcurrency = {concurrency}\n[grid]\ntask = [\"szx-translate-cpu\"]\n"
        f'model = ["latency:{latency:g}:scripted:{script}"]\ntier = ["user", "expert"]\nteam = ["single", "multi"]\n')
    return path


def _latencies(runs_dir: Path) -> list[float]:
    """Per run: the summed latency of its LLM calls (what the model spent)."""
    found = []
    for trajectory in runs_dir.glob("*/trajectory.jsonl"):
        calls = [json.loads(line) for line in trajectory.read_text().splitlines() if '"llm_call"' in line]
        found.append(sum(c["latency_s"] for c in calls))
    return found


def measure(executor: str, level: int, runs: int, latency: float) -> dict[str, float]:
    """Run the study once at this concurrency (or Ray worker count); wall, ideal and overhead."""
    with tempfile.TemporaryDirectory(prefix="szagents-overhead-") as tmp:
        study = _study(Path(tmp), runs, latency, level)
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "szagents.cli", "study", str(study), "--executor", executor,
                               "--concurrency", str(level)], capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(done.stdout[-3000:] + done.stderr[-3000:])
        spent = _latencies(Path(tmp) / "runs")
    ideal = max(sum(spent) / level, max(spent))
    return {"executor": executor, "concurrency": level, "runs": len(spent), "wall_s": round(wall, 2),
            "ideal_s": round(ideal, 2), "overhead_fraction": round(1 - ideal / wall, 3),
            "overhead_s_per_run": round((wall - ideal) * level / len(spent), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executor", default="local", choices=["local", "ray"])
    parser.add_argument("--levels", type=int, nargs="+", default=None)
    parser.add_argument("--runs", type=int, default=16)
    parser.add_argument("--latency", type=float, default=1.0)
    args = parser.parse_args()
    levels = args.levels or ([1, 4, 16] if args.executor == "local" else [1, 2, 4])
    rows = [measure(args.executor, level, args.runs, args.latency) for level in levels]
    print("| executor | concurrency | runs | wall (s) | ideal (s) | overhead | overhead s/run |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['executor']} | {r['concurrency']} | {r['runs']} | {r['wall_s']} | {r['ideal_s']} | "
              f"{r['overhead_fraction']:.1%} | {r['overhead_s_per_run']} |")
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"study_overhead_{args.executor}.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
