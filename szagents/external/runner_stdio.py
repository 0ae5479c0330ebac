"""An outside agent that starts the run's MCP server itself, over stdio (the runner's `--transport stdio`).

The agent's configuration names the command `python -m szagents.cli mcp --task ... --run-id ...`
(also in $SZAGENTS_MCP_COMMAND); the agent starts it and that server records the run, exactly as
over HTTP. The runner supervises the agent (the server's budgets carry the runner's deadline, so
a run it stops at its wall time is recorded as budget_wall), waits for the run's end in the
trajectory, and returns the checkpointed state.
"""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path
from typing import Any

from szagents.errors import TaskError
from szagents.external.runner import GRACE_SECONDS, exit_reason, launch, stop_process, supervise, write_agent_files
from szagents.external.run import McpBudgets, McpRun, mcp_graph
from szagents.run.config import RUN_FILE, RunConfig
from szagents.run.outcome import RunOutcome
from szagents.trajectory import open_checkpointer, read_run
from szagents.trajectory.reader import TRAJECTORY_FILENAME

__all__ = ["server_argv", "run_external_stdio"]


def server_argv(config: RunConfig, budgets: McpBudgets) -> list[str]:
    """The `szagents mcp` command line that serves config's run over stdio within budgets."""
    budget = f"tool_calls={budgets.tool_calls},wall={budgets.wall_seconds:g}"
    if budgets.deadline_epoch is not None:
        budget += f",deadline={budgets.deadline_epoch:.3f}"
    if config.budgets is not None:
        budget += f",iterations={config.budgets.iterations},tokens={config.budgets.tokens}"
    argv = [sys.executable, "-m", "szagents.cli", "mcp", "--task", config.task, "--runs-dir",
            str(Path(config.runs_dir).resolve()), "--run-id", config.run_id, "--tier", config.tier, "--budget", budget]
    flags = [("--shell", config.shell), ("--quick", config.quick)]
    return argv + [flag for flag, on in flags if on] + (["--target", config.backend] if config.backend else [])


def _ended(trajectory: Path) -> bool:
    """Whether the run's trajectory holds its run_end."""
    try:
        return '"event":"run_end"' in trajectory.read_text(errors="replace")
    except OSError:
        return False


def _state(config: RunConfig, run_dir: Path) -> dict[str, Any]:
    """The run's last checkpointed state."""
    with open_checkpointer(config.checkpoint, run_dir) as saver:
        snapshot = mcp_graph().compile(checkpointer=saver).get_state({"configurable": {"thread_id": config.run_id}})
    return dict(snapshot.values)


def run_external_stdio(config: RunConfig, budgets: McpBudgets, command: str, observer: Any | None = None,
                       grace_s: float = GRACE_SECONDS) -> RunOutcome:
    """Run command as the agent of config's task; it starts the MCP server from its configuration."""
    config = config.model_copy(update={"run_id": config.resolved_run_id()})
    run_dir = Path(config.runs_dir) / config.run_id
    if run_dir.exists():
        raise TaskError(f"run folder {run_dir} already exists; pass another --run-id")
    (run_dir / "agent").mkdir(parents=True)
    budgets = budgets.model_copy(update={"deadline_epoch": time.time() + budgets.wall_seconds})
    argv = server_argv(config, budgets)
    entry = {"command": argv[0], "args": argv[1:]}
    prompt = McpRun(config, budgets).brief()
    env = write_agent_files(run_dir / "agent", {"type": "stdio", **entry},
                            {**entry, "timeout": int(budgets.wall_seconds * 1000)}, prompt)
    process = launch(command, run_dir / "agent", {**env, "SZAGENTS_MCP_COMMAND": shlex.join(argv)}, prompt)
    trajectory = run_dir / TRAJECTORY_FILENAME
    try:
        reason = supervise(process, lambda: _ended(trajectory), budgets.wall_seconds, grace_s)
    finally:
        stop_process(process, grace_s)  # the server, in the agent's process group, ends the run on SIGTERM
    deadline = time.monotonic() + 30
    while (run_dir / RUN_FILE).exists() and not _ended(trajectory) and time.monotonic() < deadline:
        time.sleep(0.1)
    if not (run_dir / RUN_FILE).exists():  # no server started (or none took a call): record an empty run
        with McpRun(config, budgets) as run:  # stopped at its wall time it ran out of time, even before the server
            run.end(reason or exit_reason(run, process))
    for event in read_run(run_dir) if observer is not None else ():  # the server ran elsewhere: tell it now
        observer(event)
    return RunOutcome(run_dir, config.run_id, _state(config, run_dir))
