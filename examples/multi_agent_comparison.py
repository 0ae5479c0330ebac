"""Single agent vs a translator + optimizer team on the same task, side by side.

    python examples/multi_agent_comparison.py [TRANSLATOR_SPEC] [OPTIMIZER_SPEC]

Defaults run offline with the bundled scripted agents on szx-translate-cpu (CUDA -> C/OpenMP).
With real models, repeat each configuration a few times: agents are not deterministic.
"""

from __future__ import annotations

import sys
from pathlib import Path

from szagents.roles import Team
from szagents.run import RunConfig, start_run
from szagents.trajectory import read_run

if __name__ == "__main__":
    translator = sys.argv[1] if len(sys.argv) > 1 else "scripted:translate_szx_cpu"
    optimizer = sys.argv[2] if len(sys.argv) > 2 else "scripted:optimize_szx_cpu"
    teams = {"single": Team.single(translator), "multi": Team.multi(translator, optimizer)}
    print(f"{'team':<8} {'LLM calls':>9} {'revisions':>9} {'correct':>7} {'best comp GB/s':>14} {'best dec GB/s':>13}")
    for name, team in teams.items():
        outcome = start_run(RunConfig(task="szx-translate-cpu", team=team, tier="expert", runs_dir=Path("runs"), quick=True))
        calls = sum(1 for e in read_run(outcome.run_dir) if e.event == "llm_call")
        revisions = outcome.state["revisions"]
        best = outcome.best or {}
        print(f"{name:<8} {calls:>9} {len(revisions):>9} {sum(r['correct'] for r in revisions):>7} "
              f"{best.get('compress_gbps') or 0:>14.3f} {best.get('decompress_gbps') or 0:>13.3f}")
