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
from szagents.cli.demo import run_demo
from szagents.errors import SzAgentsError
from szagents.tasks.catalog import load_tasks
from szagents.tasks.evaluate import build_problems, evaluate, kernel_spec
from szagents.tasks.task import Suite, kernel_names, load_kernel

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
def demo(
    backend: Annotated[Optional[list[str]], typer.Option(help="backends to use (default: cpu, and cuda when a GPU is present)")] = None,
    kernel: Annotated[Optional[list[str]], typer.Option(help="kernels (default: all)")] = None,
    quick: Annotated[bool, typer.Option(help="fewer benchmark repetitions")] = False,
) -> None:
    """Compile, validate and benchmark the reference kernels on this machine (offline)."""
    chosen = backend or [b for b in ("cpu", "cuda") if b in backend_names()]
    ok = run_demo(console, chosen, kernel or kernel_names(), quick)
    raise typer.Exit(0 if ok else 1)


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
