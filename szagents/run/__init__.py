"""One run: RunConfig -> open_run() (backend, workspace, trajectory, checkpointer, team, brief) -> its graph.

    from szagents.run import RunConfig, start_run
    outcome = start_run(RunConfig(task="szx-optimize-cpu", team=Team.single("scripted:demo")))

Used alike by the CLI, studies, recorded MCP runs (szagents.external) and LangGraph Studio (run/studio.py).
"""

from typing import TYPE_CHECKING

from szagents.lazy import exports

if TYPE_CHECKING:
    from szagents.run.config import RUN_FILE, RunConfig
    from szagents.run.graph_run import resume_run, start_run
    from szagents.run.outcome import RunOutcome, load_config
    from szagents.run.wiring import OpenedRun, open_run, open_team_run, run_start

__getattr__ = exports(__name__, {  # loaded on first use (szagents/lazy.py): run.config alone stays light
    "szagents.run.config": ("RUN_FILE", "RunConfig"),
    "szagents.run.graph_run": ("resume_run", "start_run"),
    "szagents.run.outcome": ("RunOutcome", "load_config"),
    "szagents.run.wiring": ("OpenedRun", "open_run", "open_team_run", "run_start"),
})

__all__ = ["RUN_FILE", "OpenedRun", "RunConfig", "RunOutcome", "load_config", "open_run", "open_team_run",
           "resume_run", "run_start", "start_run"]
