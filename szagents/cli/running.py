"""`szagents run`, `resume` and `demo`: the options as a RunConfig, live progress, and a closing line that says what
to do next. The run machinery (and the progress view's event types) load inside the commands: --help stays light."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console

from szagents.cli.errors import EXIT_INCORRECT, EXIT_OK, EXIT_PROVIDER, Terminated
from szagents.cli.mcp import external_run
from szagents.cli.options import APIS, TEAMS, TIMEOUT_HELP, choice, make_console, positive
from szagents.errors import SzAgentsError
from szagents.tiers import TIERS

__all__ = ["demo_command", "drive", "drive_resume", "resume_command", "run_command"]

DEMO_TASK = "szx-optimize-cpu"
SEARCHES = ("best-of-n", "evolve")  # strategies.config.SEARCHES, named here so that --help stays light
STRATEGY_EXAMPLE = '{"n": 4, "concurrency": 2}'


def _resume_hint(run_dir: Path) -> str:
    return f"szagents resume {run_dir}"


def _guard(console: Console, run_dir: Path, go: Any) -> int:
    """Run go(); on interruption or a provider failure, say how to resume and return the exit code."""
    from szagents.models.calls import ProviderError

    try:
        outcome = go()
    except KeyboardInterrupt as exc:
        if not run_dir.exists():
            raise
        # The signal may have landed inside one of the progress view's prints, leaving that console buffering for
        # good (Rich writes its buffer when the print's context exits): say how to resume on a console of its own.
        console = Console(file=console.file, highlight=False)
        why = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
        console.print(f"[yellow]{why}[/yellow]: the run stopped at its last checkpoint; continue with:", highlight=False)
        console.print(f"  {_resume_hint(run_dir)}", soft_wrap=True, highlight=False)  # a command to copy: never wrapped
        return 143 if isinstance(exc, Terminated) else 130
    except ProviderError as exc:
        if not run_dir.exists():
            raise  # failed before anything was spent: no run folder, the message says it all
        console.print(f"[red]error:[/red] {exc}\n  the run stopped at its last checkpoint; after fixing it, continue "
                      "with (options --base-url, --api, --budget may change):", highlight=False)
        console.print(f"  {_resume_hint(run_dir)}", soft_wrap=True, highlight=False)  # a command to copy: never wrapped
        return EXIT_PROVIDER
    if outcome.already_finished:
        reason = outcome.state.get("stop_reason") or "finished"
        console.print(f"run {outcome.run_id} already finished ({reason}); nothing to resume. Start a new run with "
                      "`szagents run`, or read it with `szagents report`.", highlight=False)
    else:
        console.print(f"run folder: {outcome.run_dir}", highlight=False)
    return EXIT_OK if outcome.best else EXIT_INCORRECT


def drive(console: Console, config: Any) -> int:
    """Start config's run with a progress view; the exit code."""
    from szagents.cli.progress import ProgressPrinter
    from szagents.run.graph_run import start_run

    config = config.model_copy(update={"run_id": config.resolved_run_id()})
    run_dir = Path(config.runs_dir) / config.run_id
    return _guard(console, run_dir, lambda: start_run(config, observer=ProgressPrinter(console)))


def drive_resume(console: Console, run_dir: Path, changes: dict[str, Any]) -> int:
    """Resume run_dir (with changed options) with a progress view; the exit code."""
    from szagents.cli.progress import ProgressPrinter
    from szagents.run.graph_run import resume_run

    return _guard(console, Path(run_dir), lambda: resume_run(run_dir, observer=ProgressPrinter(console), changes=changes))


def _run_options(base_url: Optional[str], api: Optional[str], timeout: Optional[float], call_timeout: Optional[float],
                 retry_seconds: Optional[float]) -> dict[str, Any]:
    """RunConfig fields from the options a run (or a resume) may set; unset ones left out."""
    fields = {"base_url": base_url, "api": choice("--api", api, APIS) if api else None,
              "harness_timeout_s": positive("--timeout", timeout), "call_timeout_s": positive("--call-timeout", call_timeout),
              "retry_seconds": retry_seconds}
    return {k: v for k, v in fields.items() if v is not None}


def _team(model: str, team: Optional[str], optimizer_model: Optional[str], reviewer_model: Optional[str]):  # noqa: ANN202
    picked = choice("--team", team or "single", TEAMS + SEARCHES)
    from szagents.roles.team import Team  # the roles load the agent stack: after the check above
    from szagents.run.models import replay_team

    if team is None and not optimizer_model and not reviewer_model:
        recorded = replay_team(model)  # a replay reproduces the recorded team by default
        if recorded is not None:
            return recorded
    if picked in SEARCHES:  # a search: its agents are single unless the knobs say multi (best-of-n's inner)
        picked = "single"
    if picked == "single":
        return Team.single(model)
    return Team.multi(model, optimizer_model, reviewer_model)


def _strategy(team: Optional[str], knobs: Optional[str]):  # noqa: ANN202
    """The search --team names (best-of-n, evolve) with the --strategy knobs (JSON, as a study's [strategy] table),
    or None for a team; knobs without a search, or knobs that do not validate, are a one-line error."""
    import json

    from pydantic import ValidationError

    from szagents.strategies.config import StrategyConfig

    if team not in SEARCHES:
        if knobs:
            raise SzAgentsError("--strategy sets the knobs of a search: add --team best-of-n or --team evolve")
        return None
    try:
        values = json.loads(knobs) if knobs else {}
    except json.JSONDecodeError as exc:
        raise SzAgentsError(f"--strategy is not JSON ({exc.msg}); e.g. --strategy '{STRATEGY_EXAMPLE}'") from None
    if not isinstance(values, dict) or "kind" in values:
        raise SzAgentsError(f"--strategy takes a JSON object of knobs without 'kind' (--team names the search); "
                            f"e.g. --strategy '{STRATEGY_EXAMPLE}'")
    try:
        return StrategyConfig(kind=team, **values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        raise SzAgentsError(f"--strategy {where}: {first['msg']} (knobs: strategies/config.py, README 'Search "
                            "strategies')") from None


def run_command(
    task: Annotated[str, typer.Option(help="task id (see `szagents tasks`)")],
    model: Annotated[Optional[str], typer.Option(help="model spec: openai:<model>, google_genai:<model>, anthropic:<model>, "
                                            "ollama:<model> (any init_chat_model provider), scripted:<name>, replay:<run dir>")] = None,
    team: Annotated[Optional[str], typer.Option(help="single (one agent, all roles), multi (translator + optimizer), or a "
                                                     "search: best-of-n or evolve (knobs: --strategy); replay: the "
                                                     "recorded team")] = None,
    strategy: Annotated[Optional[str], typer.Option(help="a search's knobs as JSON, as a study's [strategy] table, e.g. "
                                                         f"'{STRATEGY_EXAMPLE}'")] = None,
    optimizer_model: Annotated[Optional[str], typer.Option(help="multi team: the optimizer's model (default: --model)")] = None,
    reviewer_model: Annotated[Optional[str], typer.Option(help="multi team: an LLM reviewer that diagnoses failed revisions")] = None,
    tier: Annotated[str, typer.Option(help="prompt tier: user, knowledgeable or expert")] = "user",
    target: Annotated[Optional[str], typer.Option(help="backend to run on (default: the task's target)")] = None,
    budget: Annotated[Optional[str], typer.Option(help="e.g. iterations=40,tokens=2000000,wall=3600")] = None,
    runs_dir: Annotated[Path, typer.Option(help="folder that receives the run folder")] = Path("runs"),
    run_id: Annotated[str, typer.Option(help="run folder name (default: task-team-tier-timestamp)")] = "",
    base_url: Annotated[Optional[str], typer.Option(help="OpenAI-compatible server for openai: models (vLLM, Ollama)")] = None,
    api: Annotated[Optional[str], typer.Option(help="openai: models: auto (by model name), responses or chat")] = None,
    checkpoint: Annotated[Optional[str], typer.Option(help="checkpointer: default SQLite in the run folder, 'memory', or a postgres:// URL")] = None,
    shell: Annotated[bool, typer.Option(help="give the agent a sandboxed shell tool")] = False,
    quick: Annotated[bool, typer.Option(help="fewer benchmark repetitions, on the task's smaller quick datasets")] = False,
    timeout: Annotated[Optional[float], typer.Option(help=TIMEOUT_HELP)] = None,
    call_timeout: Annotated[Optional[float], typer.Option(help="seconds one model call may take (default 600, capped by the wall budget)")] = None,
    retry_seconds: Annotated[Optional[float], typer.Option(help="seconds spent retrying transient provider faults (default 180)")] = None,
    preflight: Annotated[bool, typer.Option(help="check each hosted model with one tiny call before starting")] = True,
    agent: Annotated[str, typer.Option(help="graph (the LangGraph team), or external / external-stdio (--command, through MCP)")] = "graph",
    command: Annotated[Optional[str], typer.Option(help="--agent external: the agent's command line (README, MCP)")] = None,
    tools: Annotated[str, typer.Option(help="inprocess, or mcp: the agents' tools through an MCP server")] = "inprocess",
) -> None:
    """Run an agent (or a team) on a task, with a live progress view."""
    from szagents.run.budgets import parse_budgets
    from szagents.run.run_id import check_run_id
    from szagents.tasks.catalog import get_task

    choice("--tier", tier, TIERS)
    if agent in ("external", "external-stdio"):
        raise typer.Exit(external_run(make_console(), task=task, command=command, tier=tier, target=target, budget=budget,
                                      runs_dir=runs_dir, run_id=run_id, shell=shell, quick=quick, stdio=agent != "external"))
    choice("--agent", agent, ("graph", "external", "external-stdio"))
    choice("--tools", tools, ("inprocess", "mcp"))
    if model is None:
        raise SzAgentsError("--model is required with --agent graph (e.g. --model scripted:demo)")
    budgets = parse_budgets(budget, get_task(task).budgets)
    options = _run_options(base_url, api, timeout, call_timeout, retry_seconds)
    try:
        check_run_id(run_id)
    except ValueError as exc:
        raise SzAgentsError(str(exc)) from None
    search = _strategy(team, strategy)
    team_spec = _team(model, search.inner if search is not None and search.kind == "best-of-n" else team,
                      optimizer_model, reviewer_model)
    from szagents.run.config import RunConfig  # after the checks above: a bad option fails before the agent stack loads

    config = RunConfig(task=task, team=team_spec, strategy=search, tier=tier, backend=target, budgets=budgets,
                       runs_dir=runs_dir, run_id=run_id, checkpoint=checkpoint, shell=shell, quick=quick, preflight=preflight,
                       tools=tools, **options)
    raise typer.Exit(drive(make_console(), config))


def resume_command(
    run_dir: Annotated[Path, typer.Argument(help="a run folder written by `szagents run`", exists=True, file_okay=False)],
    base_url: Annotated[Optional[str], typer.Option(help="a new OpenAI-compatible server address")] = None,
    budget: Annotated[Optional[str], typer.Option(help="new budgets, e.g. iterations=60,wall=7200")] = None,
    api: Annotated[Optional[str], typer.Option(help="openai: models: auto, responses or chat")] = None,
    timeout: Annotated[Optional[float], typer.Option(help=TIMEOUT_HELP)] = None,
    call_timeout: Annotated[Optional[float], typer.Option(help="seconds one model call may take")] = None,
    retry_seconds: Annotated[Optional[float], typer.Option(help="seconds spent retrying transient provider faults")] = None,
) -> None:
    """Continue an interrupted run from its last checkpoint (options that may change can be given again)."""
    from szagents.run.outcome import load_config

    changes = _run_options(base_url, api, timeout, call_timeout, retry_seconds)
    if budget:
        from szagents.run.budgets import parse_budgets
        from szagents.tasks.catalog import get_task

        current = load_config(run_dir)
        changes["budgets"] = parse_budgets(budget, current.budgets or get_task(current.task).budgets).model_dump()
    raise typer.Exit(drive_resume(make_console(), run_dir, changes))


def demo_command(
    runs_dir: Annotated[Path, typer.Option(help="folder that receives the demo's run folder")] = Path("runs"),
    tier: Annotated[str, typer.Option(help="prompt tier shown to the scripted agent")] = "expert",
) -> None:
    """Offline demo: a scripted agent optimizes SZx on the cpu backend, every step really compiled,
    validated and benchmarked; then the reference kernels for comparison."""
    from szagents.cli.references import run_references
    from szagents.roles.team import Team
    from szagents.run.config import RunConfig
    from szagents.tasks.catalog import get_task

    choice("--tier", tier, TIERS)
    console = make_console()
    config = RunConfig(task=DEMO_TASK, team=Team.single("scripted:demo"), tier=tier, runs_dir=runs_dir, quick=True)
    code = drive(console, config)
    task = get_task(DEMO_TASK)
    run_references(console, [task.target], [task.kernel.name], quick=True)
    raise typer.Exit(code)
