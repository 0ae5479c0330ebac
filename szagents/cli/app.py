"""The `szagents` command line (Typer). Exit codes: 0 correct, 1 incorrect, 2 usage/environment."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer
from typer.exceptions import TyperException
from rich.console import Console
from rich.table import Table

from szagents.backends.registry import backend_names, get_backend
from szagents.cli import render
from szagents.cli.references import run_references
from szagents.errors import SzAgentsError
from szagents.cli.progress import ProgressPrinter
from szagents.cli.report import report_command
from szagents.cli.study import study_command
from szagents.roles.team import Team
from szagents.sweep.config import RunConfig
from szagents.sweep.run import resume_run, start_run
from szagents.tasks.catalog import get_task, load_tasks
from szagents.tasks.evaluate import build_problems, evaluate, kernel_spec
from szagents.tasks.task import Budgets, Suite, kernel_names, load_kernel

DEMO_TASK = "szx-optimize-cpu"

__all__ = ["app", "main"]

app = typer.Typer(help="Drive LLM coding agents on SZ-family compression kernels; measure what they achieve.",
                  no_args_is_help=True, add_completion=False)
console = Console()


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="kernel sources (headers beside them may be listed too)", exists=True, dir_okay=False)],
    kernel: Annotated[str, typer.Option(help="kernel whose format and suites apply: szp, szx, ...")],
    backend: Annotated[str, typer.Option(help="cpu, cuda or cerebras")] = "cpu",
    variant: Annotated[Optional[str], typer.Option(help="kernel variant, e.g. plain or outlier")] = None,
    dataset: Annotated[Optional[list[str]], typer.Option(help="dataset spec (repeatable); default: the kernel's validation suite")] = None,
    rel: Annotated[Optional[list[float]], typer.Option(help="relative error bound (repeatable)")] = None,
    bench: Annotated[bool, typer.Option("--bench/--no-bench", help="also benchmark on the kernel's benchmark suite")] = False,
    format_check: Annotated[bool, typer.Option(help="require streams byte-identical to the reference codec")] = False,
    workdir: Annotated[Optional[Path], typer.Option(help="workspace for staging files (default: a temporary folder)")] = None,
) -> None:
    """Compile FILES and run the harness on them; print a result table."""
    info = load_kernel(kernel)
    suite = info.validation.model_copy(update={k: tuple(v) for k, v in (("datasets", dataset), ("relative_bounds", rel)) if v})
    suite = Suite.model_validate(suite.model_dump())
    chosen = get_backend(backend)
    _require(chosen)
    spec = kernel_spec(info, variant, format_check)
    with tempfile.TemporaryDirectory(prefix="szagents-") as tmp:
        folder = workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        result = evaluate(chosen, files, spec, folder, build_problems(suite, info.dtype),
                          build_problems(info.benchmark, info.dtype) if bench else ())
    render.print_compile(console, result.build)
    if result.validation is not None:
        render.print_validation(console, result.validation)
    if result.benchmark is not None:
        render.print_benchmark(console, result.benchmark)
    raise typer.Exit(0 if result.correct and (result.benchmark is None or result.benchmark.ok) else 1)


def _require(backend) -> None:  # noqa: ANN001 - any Backend
    available = backend.availability()
    if not available.can_compile:
        raise SzAgentsError(f"backend {backend.name!r} cannot compile here: {available.reason}. Fix: {available.fix}")


@app.command()
def tasks() -> None:
    """List the tasks every kernel folder offers."""
    table = Table(title="tasks")
    for column in ("id", "mode", "target", "starts from", "variant", "iterations"):
        table.add_column(column)
    for task in load_tasks():
        table.add_row(task.id, task.mode.value, task.target, task.kernel.sources[task.source],
                      task.variant, str(task.budgets.iterations))
    console.print(table)


@app.command()
def backends() -> None:
    """Show which backends can compile and run here, and how to enable the others."""
    table = Table(title="backends")
    for column in ("backend", "compile", "run", "what is missing / how to fix"):
        table.add_column(column)
    for name in backend_names():
        try:
            state = get_backend(name).availability()
        except SzAgentsError as exc:
            table.add_row(name, "no", "no", str(exc))
            continue
        yes = lambda flag: "[green]yes[/green]" if flag else "[red]no[/red]"  # noqa: E731
        table.add_row(name, yes(state.can_compile), yes(state.available),
                      f"{state.reason} - {state.fix}" if state.reason else "")
    console.print(table)


@app.command()
def references(
    backend: Annotated[Optional[list[str]], typer.Option(help="backends to use (default: cpu, and cuda when a GPU is present)")] = None,
    kernel: Annotated[Optional[list[str]], typer.Option(help="kernels (default: all)")] = None,
    quick: Annotated[bool, typer.Option(help="fewer benchmark repetitions")] = False,
) -> None:
    """Compile, validate and benchmark the reference kernels on this machine (offline)."""
    chosen = backend or [b for b in ("cpu", "cuda") if get_backend(b).availability().available]
    ok = run_references(console, chosen, kernel or kernel_names(), quick)
    raise typer.Exit(0 if ok else 1)


def _budgets(task_id: str, text: Optional[str]) -> Optional[Budgets]:
    """--budget iterations=40,tokens=2e6,wall=3600 over the task's budgets."""
    if not text:
        return None
    names = {"iterations": "iterations", "tokens": "tokens", "wall": "wall_seconds", "wall_seconds": "wall_seconds"}
    update = {}
    for item in text.split(","):
        key, _, value = item.partition("=")
        if key.strip() not in names or not value:
            raise SzAgentsError(f"bad --budget item {item!r}; use iterations=N,tokens=N,wall=SECONDS")
        update[names[key.strip()]] = float(value)
    merged = {**get_task(task_id).budgets.model_dump(), **update}
    return Budgets(**{k: int(v) if k != "wall_seconds" else v for k, v in merged.items()})


@app.command()
def run(
    task: Annotated[str, typer.Option(help="task id (see `szagents tasks`)")],
    model: Annotated[str, typer.Option(help="model spec: openai:<model>, google_genai:<model>, scripted:<name>, replay:<run dir>")],
    team: Annotated[str, typer.Option(help="single (one agent, all roles) or multi (translator + optimizer)")] = "single",
    optimizer_model: Annotated[Optional[str], typer.Option(help="multi team: the optimizer's model (default: --model)")] = None,
    reviewer_model: Annotated[Optional[str], typer.Option(help="multi team: an LLM reviewer that diagnoses failed revisions")] = None,
    tier: Annotated[str, typer.Option(help="prompt tier: user, knowledgeable or expert")] = "user",
    target: Annotated[Optional[str], typer.Option(help="backend to run on (default: the task's target)")] = None,
    budget: Annotated[Optional[str], typer.Option(help="e.g. iterations=40,tokens=2000000,wall=3600")] = None,
    runs_dir: Annotated[Path, typer.Option(help="folder that receives the run folder")] = Path("runs"),
    run_id: Annotated[str, typer.Option(help="run folder name (default: task-team-tier-timestamp)")] = "",
    base_url: Annotated[Optional[str], typer.Option(help="OpenAI-compatible server for openai: models (vLLM, Ollama)")] = None,
    checkpoint: Annotated[Optional[str], typer.Option(help="checkpointer: default SQLite in the run folder, 'memory', or a postgres:// URL")] = None,
    shell: Annotated[bool, typer.Option(help="give the agent a sandboxed shell tool")] = False,
    quick: Annotated[bool, typer.Option(help="fewer benchmark repetitions")] = False,
) -> None:
    """Run an agent (or a team) on a task, with a live progress view."""
    if team not in ("single", "multi"):
        raise SzAgentsError(f"unknown team {team!r}; use single or multi")
    chosen = Team.single(model) if team == "single" else Team.multi(model, optimizer_model, reviewer_model)
    config = RunConfig(task=task, team=chosen, tier=tier, backend=target, budgets=_budgets(task, budget),
                       runs_dir=runs_dir, run_id=run_id, checkpoint=checkpoint, base_url=base_url, shell=shell, quick=quick)
    outcome = start_run(config, observer=ProgressPrinter(console))
    console.print(f"run folder: {outcome.run_dir}")
    raise typer.Exit(0 if outcome.best else 1)


@app.command()
def resume(run_dir: Annotated[Path, typer.Argument(help="a run folder written by `szagents run`", exists=True, file_okay=False)]) -> None:
    """Continue an interrupted run from its last checkpoint."""
    outcome = resume_run(run_dir, observer=ProgressPrinter(console))
    raise typer.Exit(0 if outcome.best else 1)


@app.command()
def demo(
    runs_dir: Annotated[Path, typer.Option(help="folder that receives the demo's run folder")] = Path("runs"),
    tier: Annotated[str, typer.Option(help="prompt tier shown to the scripted agent")] = "expert",
) -> None:
    """Offline demo: a scripted agent optimizes SZx on the cpu backend, every step really compiled,
    validated and benchmarked; then the reference kernels for comparison."""
    config = RunConfig(task=DEMO_TASK, team=Team.single("scripted:demo"), tier=tier, runs_dir=runs_dir, quick=True)
    outcome = start_run(config, observer=ProgressPrinter(console))
    console.print(f"run folder: {outcome.run_dir} (trajectory.jsonl, revisions/, best/, checkpoints.sqlite)")
    run_references(console, ["cpu"], ["szx"], quick=True)
    raise typer.Exit(0 if outcome.best else 1)


app.command("report")(report_command)
app.command("study")(study_command)


def main() -> None:
    """Console entry point: usage and typed errors become a message and exit code 2."""
    try:
        code = app(standalone_mode=False)
    except SzAgentsError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise SystemExit(2) from None
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except TyperException as exc:  # usage errors: bad option, missing file, unknown command
        show = getattr(exc, "show", None)
        show() if show else console.print(f"[red]error:[/red] {exc}", highlight=False)
        raise SystemExit(2) from None
    raise SystemExit(code if isinstance(code, int) else 0)
