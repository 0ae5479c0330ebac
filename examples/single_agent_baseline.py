"""The study's single-agent baseline: one model, one conversation, every role.

    python examples/single_agent_baseline.py [TASK] [MODEL_SPEC] [TIER]
    e.g. python examples/single_agent_baseline.py szp-translate-cuda openai:gpt-5.1-codex expert

Defaults run offline: szx-optimize-cpu with the bundled scripted demo agent.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console

from szagents.cli.progress import ProgressPrinter
from szagents.roles import Team
from szagents.run import RunConfig, start_run

if __name__ == "__main__":
    task, model, tier = (sys.argv[1:] + ["szx-optimize-cpu", "scripted:demo", "expert"][len(sys.argv) - 1:])[:3]
    config = RunConfig(task=task, team=Team.single(model), tier=tier, runs_dir=Path("runs"))
    outcome = start_run(config, observer=ProgressPrinter(Console()))
    best = outcome.best
    print(f"best: {best['compress_gbps']:.3f} / {best['decompress_gbps']:.3f} GB/s" if best else "no correct revision")
