"""How stable is the demo's final answer? Run `szagents demo`'s agent run N times and count best-revision changes.

    python bench/demo_stability.py --runs 5 [--out /tmp/stability]
    python bench/demo_stability.py --runs 8 --script tests/roles/scripts/noop_change.json   # a no-op change

Prints, per run, the final best revision, every revision's verdict and Tc/Td (GB/s), the rollbacks,
the interleaved re-measurements (if the trajectory has any) and the run's wall time; then how often
the final best differed from the previous run's. Offline (scripted model, cpu backend).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from szagents.roles.team import Team
from szagents.run import RunConfig, start_run
from szagents.trajectory import read_run


def _one(runs_dir: Path, index: int, script: str) -> tuple[int | None, str]:
    """Run the demo (or another scripted run of szx-optimize-cpu) once; (final best, one-line description)."""
    start = time.perf_counter()
    config = RunConfig(task="szx-optimize-cpu", team=Team.single(f"scripted:{script}"), tier="expert",
                       runs_dir=runs_dir, quick=True, run_id=f"demo{index}")
    outcome = start_run(config)
    wall = time.perf_counter() - start
    events = read_run(outcome.run_dir)
    steps = " ".join(f"{r['number']}:{r['verdict']}" + (f"({r['compress_gbps']:.2f}/{r['decompress_gbps']:.2f})"
                                                        if r.get("compress_gbps") else "")
                     for r in outcome.state["revisions"])
    rollbacks = [f"{e.from_revision}->{e.to_revision}" for e in events if e.event == "rollback"]
    compared = [e for e in events if e.event == "comparison"]
    spent = sum(e.seconds for e in compared)
    text = (f"best={outcome.state.get('best')} wall={wall:.1f}s steps=[{steps}] rollbacks={rollbacks} "
            f"comparisons={len(compared)} ({spent:.1f}s: {[(e.baseline, e.candidate, e.decision) for e in compared]})")
    return outcome.state.get("best"), text


def main() -> None:
    """Run the demo --runs times and print how often its final best changed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None, help="folder for the run folders (default: a temp dir)")
    parser.add_argument("--script", default="demo", help="scripted model: a bundled name or a .json file")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="szagents-stability-"))
    bests = []
    for index in range(args.runs):
        best, text = _one(out, index, args.script)
        bests.append(best)
        print(f"run {index + 1}: {text}", flush=True)
    changes = sum(1 for a, b in zip(bests, bests[1:]) if a != b)
    print(f"final best per run: {bests}; changed {changes} times in {args.runs - 1} consecutive pairs; "
          f"distinct: {sorted(set(map(str, bests)))}")


if __name__ == "__main__":
    main()
