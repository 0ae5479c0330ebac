"""A recorded run whose agent is an MCP client: same workspace, events, revisions and validator as a graph run.

The agent acts outside the graph; the graph holds only the validator and finish nodes (with the
same router), so its checkpoint keeps the run's state. The run starts at the first tool call (the
client's name/version from the handshake becomes the agent): only then is the run folder written,
so a session that only lists tools, prompts or files leaves nothing behind (files are served from
a preview of the starting workspace until then). An optimize task's baseline is measured at that
first call; the server tells the client so first (notice). Each submit runs the validator. Tool
calls and wall time are budgeted here.
"""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from szagents.errors import HarnessError, TaskError
from szagents.external.graph import McpBudgets, external_team, mcp_graph
from szagents.mcp.host import Caller, LocalTools, RunOver, ToolAnswer, ToolSpec
from szagents.prompts.render import system_prompt
from szagents.roles.state import initial_state
from szagents.roles.team import first_role
from szagents.run.config import RUN_FILE, RunConfig
from szagents.run.wiring import brief, check_backend, export_best, open_run, run_start
from szagents.tools.kernel import SUBMIT_TOOL
from szagents.tools.registry import tool_schemas
from szagents.trajectory.events import ErrorEvent, ToolCall
from szagents.workspace.materialize import materialize
from szagents.workspace.revisions import one_line
from szagents.workspace.workspace import MAX_FILE_BYTES, Workspace

__all__ = ["McpBudgets", "McpRun", "external_team", "mcp_graph"]


class McpRun:
    """One run served over MCP (a ToolHost): open, answer tool calls from any thread, close."""

    max_file_bytes = MAX_FILE_BYTES  # the per-file cap of the workspace materialize() lays out

    def __init__(self, config: RunConfig, budgets: McpBudgets, observer: Any | None = None) -> None:
        self.config = config.model_copy(update={"run_id": config.resolved_run_id()})
        self.run_id = self.config.run_id
        self.run_dir = Path(self.config.runs_dir) / self.run_id
        self.budgets, self.observer = budgets, observer
        self.task = self.config.resolved_task()
        self.first_role = first_role(self.task)
        self.state: dict[str, Any] = {}
        self.calls = 0
        self.agent: str | None = None
        self._t0: float | None = None
        self._finished = False
        self._note = ""  # validator feedback not yet told to the agent (the baseline's)
        self._lock = threading.RLock()
        self._stack = ExitStack()
        self._workspace: Workspace | None = None
        self._preview: Workspace | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def open(self) -> McpRun:
        """Check that the run can start here (its folder is free, the backend runs); nothing is written yet."""
        if (self.run_dir / RUN_FILE).exists():  # (a runner may have made the folder, with only agent/ in it)
            raise TaskError(f"run folder {self.run_dir} already exists; pass another --run-id")
        self._backend = check_backend(self.config, self.task)  # a backend that cannot run here fails at once
        return self

    def _create(self, agent: str) -> None:
        """Write the run folder (its config with agent as the team), open the run: trajectory, workspace, checkpoint."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        config = self.config.model_copy(update={"team": external_team(agent)})
        (self.run_dir / RUN_FILE).write_text(config.model_dump_json(indent=2))
        opened = open_run(config, self.task, self.run_dir, self._stack, backend=self._backend, observer=self.observer,
                          role=self.role)
        self.sink, self._workspace = opened.sink, opened.workspace
        self.local = LocalTools(opened.tools, shell=self.config.shell, brief=self.brief)
        self.ctx = opened.context({}, list(self.local.tools.values()))
        self.graph = mcp_graph().compile(checkpointer=opened.checkpointer())

    @property
    def workspace(self) -> Workspace:
        """The run's workspace; before the run starts, a preview of its starting files in a temporary folder."""
        with self._lock:
            if self._workspace is not None:
                return self._workspace
            if self._preview is None:
                folder = self._stack.enter_context(TemporaryDirectory(prefix="szagents-mcp-preview-"))
                self._preview = materialize(self.task, Path(folder))
            return self._preview

    def close(self, reason: str = "agent_stop") -> None:
        """End a started run (if it has not ended; an agent stopping after its time is up ran out of it) and close
        its files; a run that never started writes nothing."""
        with self._lock:
            if self.started and not self.ended:
                self.end("budget_wall" if reason == "agent_stop" and self.time_up() else reason)
            self._stack.close()

    def __enter__(self) -> McpRun:
        return self.open()

    def __exit__(self, exc_type: type[BaseException] | None, exc: object, tb: object) -> None:
        stopped = exc_type is None or issubclass(exc_type, (KeyboardInterrupt, SystemExit))  # the client or a user ended it
        self.close("agent_stop" if stopped else "error")

    # -- state -----------------------------------------------------------------------------------
    @property
    def started(self) -> bool:
        """Whether run_start has been written."""
        return self._t0 is not None

    @property
    def ended(self) -> bool:
        """Whether run_end has been written (by the finish node)."""
        return self._finished

    def role(self) -> str:
        """The author role the agent plays now (translator until a correct version exists, then optimizer)."""
        return self.state.get("active_role", self.first_role)

    def elapsed_seconds(self) -> float:
        """Wall time since the run started (0 before)."""
        return time.monotonic() - self._t0 if self._t0 is not None else 0.0

    def time_up(self) -> bool:
        """Whether the wall-time budget is spent (since the first call, or past the deadline)."""
        deadline = self.budgets.deadline_epoch
        return self.elapsed_seconds() >= self.budgets.wall_seconds or (deadline is not None and time.time() >= deadline)

    def brief(self) -> str:
        """The agent's instructions: the system prompt and the first message of its role."""
        role = self.role()
        return system_prompt("single", role, self.config.tier, self.task) + "\n\n" + brief(self.task, role)

    def specs(self) -> list[ToolSpec]:
        """The in-process tools' names, descriptions and schemas."""
        return [ToolSpec(*spec) for spec in tool_schemas(shell=self.config.shell)]

    def measures_baseline(self) -> bool:
        """Whether the first tool call measures the starting code first (an optimize task's baseline)."""
        return self.first_role == "optimizer"

    def instructions(self) -> str:
        """What the server tells a client at the handshake."""
        first = (" The first tool call first measures the starting code as the baseline (compile, validate, "
                 "benchmark), so it takes longer; its answer reports the baseline." if self.measures_baseline() else "")
        return (f"szagents run {self.run_id}: task {self.task.id}. Get the prompt 'brief' for the instructions; "
                "work with these tools only; call submit with a one-line summary for every version worth "
                f"recording. Budgets: {self.budgets.tool_calls} tool calls, {self.budgets.wall_seconds:g} s.{first}")

    def notice(self) -> str:
        """What to tell the client before its call runs: that the baseline is measured first ('' when not)."""
        if self.started or not self.measures_baseline():
            return ""
        return ("szagents: this first tool call starts the run: the starting code is measured as the baseline "
                "(compile, validate, benchmark) before the call runs; this takes a while.")

    def _invoke(self, update: dict[str, Any]) -> None:
        settings = {"configurable": {"thread_id": self.run_id}}
        self.graph.invoke(update, settings, context=self.ctx, durability="sync")
        self.state = dict(self.graph.get_state(settings).values)

    def _start(self, caller: Caller | None, *, baseline: bool) -> None:
        """Write the run folder and run_start (the caller as the agent), then measure the baseline of an optimize task."""
        self.agent = f"mcp:{caller.agent}" if caller else "mcp:(no client)"
        self._create(self.agent)
        budgets = {**self.ctx.budgets.model_dump(), "tool_calls": self.budgets.tool_calls,
                   "wall_seconds": self.budgets.wall_seconds}
        self.sink.emit(run_start(self.ctx, budgets=budgets))
        self._t0 = time.monotonic()
        if baseline:
            self._invoke(dict(initial_state(self.run_id, self.first_role)))
            self._note = self.state.get("feedback", {}).get(self.role(), "")  # the baseline's report, told once

    def emit(self, event: Any) -> None:
        """Record event, starting the run first if no call has (e.g. an agent command that failed before its first call)."""
        with self._lock:
            if not self.started:
                self._start(None, baseline=False)
            self.sink.emit(event)

    def end(self, reason: str) -> None:
        """Write run_end through the finish node with reason (unless the run ended already); export best/."""
        with self._lock:
            if self._finished:
                return
            if not self.started:
                self._start(None, baseline=False)
            start = {} if self.state else dict(initial_state(self.run_id, self.first_role))
            self._invoke({**start, "stop_reason": self.state.get("stop_reason") or reason,
                          "elapsed_seconds": self.elapsed_seconds()})
            self._finished = True
            export_best(self.run_dir, self.state)

    # -- tool calls ------------------------------------------------------------------------------
    def call(self, name: str, args: dict[str, Any], caller: Caller) -> ToolAnswer:
        """Run one tool call of the agent, recorded as a tool_call event; RunOver once the run takes no more."""
        with self._lock:
            refusal = self._admission(caller)
            if refusal:
                self._record(name, args, caller, ToolAnswer(refusal, True), 0.0)
                raise RunOver(refusal)
            self.calls += 1
            began = time.perf_counter()
            try:
                answer = self.local.call(name, args, caller)
                self._record(name, args, caller, answer, time.perf_counter() - began)
                if name == SUBMIT_TOOL and not answer.is_error:
                    answer = ToolAnswer(answer.text + "\n\n" + self._validate(args))
            except HarnessError as exc:  # the harness broke, not the kernel: stop, as a graph run would
                self.sink.emit(ErrorEvent(run_id=self.run_id, kind="harness", message=str(exc)))
                self.end("error")
                raise RunOver(f"the harness failed ({exc}); the run has ended") from None
            return self._after(answer)

    def _admission(self, caller: Caller) -> str:
        """'' when the run takes this call (starting the run at its first call), else why it does not."""
        if self._finished:
            return f"the run has ended (stop reason {self.state.get('stop_reason')}); it takes no more tool calls"
        if not self.started:
            self._start(caller, baseline=True)
        if self.time_up():
            self.end("budget_wall")
            return (f"budget spent: the wall-time budget of {self.budgets.wall_seconds:g} s is used; the run has "
                    "ended and its best revision is kept. Stop working.")
        return ""

    def _after(self, answer: ToolAnswer) -> ToolAnswer:
        """Add the validator's pending report; end the run when this call spent the last of the tool-call budget."""
        text, self._note = answer.text + (f"\n\n{self._note}" if self._note else ""), ""
        if not self._finished and self.calls >= self.budgets.tool_calls:
            self.end("budget_tool_calls")
        if self._finished:
            text += (f"\n\nThe run has ended (stop reason {self.state.get('stop_reason')}): its best revision is kept "
                     "and no more tool calls are taken. Stop working.")
        return ToolAnswer(text, answer.is_error)

    def _record(self, name: str, args: dict[str, Any], caller: Caller, answer: ToolAnswer, seconds: float) -> None:
        self.sink.emit(ToolCall(run_id=self.run_id, role=self.role(), tool=name, call_id=caller.request_id,
                                args=args, ok=not answer.is_error, output=answer.text, duration_s=seconds,
                                agent=caller.agent))

    def _validate(self, args: dict[str, Any]) -> str:
        """Run the validator on the submitted workspace; its verdict for the agent."""
        submission = {"role": self.role(), "action": one_line(str(args.get("action", ""))) or "(no summary)"}
        self._invoke({"submission": submission, "elapsed_seconds": self.elapsed_seconds()})
        if self.state.get("stop_reason"):
            self._finished = True
            export_best(self.run_dir, self.state)
        return self.state.get("feedback", {}).get(self.role(), "")
