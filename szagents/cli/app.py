"""The `szagents` command line (Typer). Exit codes: see szagents/cli/errors.py (0 correct, 1 incorrect,
2 bad value/environment, 3 model provider, 4 internal, 130/143 interrupted).

Heavy modules (LangGraph, LangChain, backends, analysis) are imported inside the commands so
`szagents --help` and `--version` start fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Optional, get_args, get_origin

import typer
from typer.core import TyperArgument, TyperGroup

from szagents import __version__
from szagents.cli.errors import EXIT_INCORRECT, EXIT_OK, guarded, on_sigterm
from szagents.cli.options import TIMEOUT_HELP, check_rel, make_console, positive
from szagents.cli.export import export_command
from szagents.cli.report import report_command
from szagents.cli.mcp import mcp_command
from szagents.cli.running import demo_command, resume_command, run_command
from szagents.cli.study import study_command
from szagents.errors import SzAgentsError

__all__ = ["app", "main"]

# Plain (click) help: it wraps to the terminal without cutting words or examples, shows no type for a
# flag, and reads the same in a pipe; typer's rich panels cut long values with an ellipsis at 80 columns.
app = typer.Typer(help="Drive LLM coding agents on SZ-family compression kernels; measure what they achieve.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"szagents {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version and exit")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="show the traceback of an error")] = False,
) -> None:
    """Drive LLM coding agents on SZ-family compression kernels; measure what they achieve."""


def _usable(backend: Any, run: bool) -> None:
    """Fail fast (before any compile) when the backend cannot compile, or run, here."""
    state = backend.availability()
    if not state.can_compile or (run and not state.available):
        what = "run kernels" if state.can_compile else "compile"
        raise SzAgentsError(f"backend {backend.name!r} cannot {what} here: {state.reason}. Fix: {state.fix}")


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="kernel sources (headers beside them may be listed too)", exists=True, dir_okay=False)],
    kernel: Annotated[str, typer.Option(help="kernel whose format and suites apply: szp, szx, ...")],
    backend: Annotated[Optional[str], typer.Option(help="cpu, cuda or cerebras (default: cpu)")] = None,
    variant: Annotated[Optional[str], typer.Option(help="kernel variant, e.g. plain or outlier")] = None,
    dataset: Annotated[Optional[list[str]], typer.Option(help="dataset spec (repeatable); default: the kernel's validation suite")] = None,
    rel: Annotated[Optional[list[float]], typer.Option(help="relative error bound in (0, 1) (repeatable)")] = None,
    bench: Annotated[bool, typer.Option("--bench/--no-bench", help="also benchmark on the kernel's benchmark suite")] = False,
    bench_dataset: Annotated[Optional[list[str]], typer.Option(help="benchmark on this dataset spec instead of the kernel's benchmark suite (repeatable; implies --bench)")] = None,
    format_check: Annotated[bool, typer.Option(help="require streams byte-identical to the reference codec")] = False,
    workdir: Annotated[Optional[Path], typer.Option(help="workspace for staging files (default: a temporary folder)")] = None,
    timeout: Annotated[Optional[float], typer.Option(help=TIMEOUT_HELP)] = None,
) -> None:
    """Compile FILES and run the harness on them; print a result table."""
    from szagents.cli.validate import run_validate
    from szagents.backends.registry import DEFAULT_BACKEND, configured_backend
    from szagents.tasks.task import Suite, load_kernel

    check_rel(rel)
    info = load_kernel(kernel)
    suite = info.validation.model_copy(update={k: tuple(v) for k, v in (("datasets", dataset), ("relative_bounds", rel)) if v})
    suite = Suite.model_validate(suite.model_dump())
    benchmark = None
    if bench or bench_dataset:
        benchmark = Suite.model_validate(info.benchmark.model_copy(
            update={"datasets": tuple(bench_dataset)} if bench_dataset else {}).model_dump())
    chosen = configured_backend(backend or DEFAULT_BACKEND, positive("--timeout", timeout))
    _usable(chosen, run=True)
    ok = run_validate(make_console(), chosen, info, files, suite, variant, format_check, workdir, benchmark)
    raise typer.Exit(EXIT_OK if ok else EXIT_INCORRECT)


@app.command()
def tasks() -> None:
    """List the tasks every kernel folder offers."""
    from rich.table import Table

    from szagents.tasks.catalog import load_tasks

    table = Table(title="tasks")
    table.add_column("id", no_wrap=True)
    for column in ("mode", "target", "starts from", "variant", "iterations"):
        table.add_column(column)
    for task in load_tasks():
        table.add_row(task.id, task.mode.value, task.target, task.kernel.sources[task.source],
                      task.variant, str(task.budgets.iterations))
    make_console().print(table)


def isolation_line() -> str:
    """How untrusted code is confined here, and how to fix it when it can't be."""
    from szagents.backends.sandbox import ISOLATION_ENV, IsolationUnavailable, chosen_isolation, isolation_state

    state = isolation_state()
    caps = f"cgroup {state.cgroups} caps on the whole tree" if state.cgroups else "per-process rlimits (no cgroup delegated)"
    try:
        mode = chosen_isolation()
    except IsolationUnavailable as exc:
        return f"isolation: unavailable - {exc}"
    if mode.value == "bwrap":
        who = "a private uid per sandbox (run as root)" if state.as_root else "a user namespace"
        return f"isolation: bwrap ({state.bwrap_path}): own pid/net/ipc/mount namespaces, {who}, {caps}"
    return (f"isolation: rlimits-only ({ISOLATION_ENV}=rlimits-only): NO namespaces - untrusted code can read your "
            f"files and reach the network; recorded in every result")


@app.command()
def backends() -> None:
    """Show which backends can compile and run here, and how to enable the others."""
    from rich.table import Table

    from szagents.backends.registry import backend_names, get_backend

    table = Table(title="backends")
    table.add_column("backend", no_wrap=True)
    for column in ("compile", "run", "what is missing / how to fix"):
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
    console = make_console()
    console.print(table)
    console.print(isolation_line())


@app.command()
def references(
    backend: Annotated[Optional[list[str]], typer.Option(help="backends to use (default: cpu, and cuda when a GPU is present)")] = None,
    kernel: Annotated[Optional[list[str]], typer.Option(help="kernels (default: all)")] = None,
    quick: Annotated[bool, typer.Option(help="fewer benchmark repetitions, on the task's smaller quick datasets")] = False,
) -> None:
    """Compile, validate and benchmark the reference kernels on this machine (offline)."""
    from szagents.backends.registry import reference_backends
    from szagents.cli.references import run_references
    from szagents.tasks.task import kernel_names

    chosen = backend or reference_backends()
    ok = run_references(make_console(), chosen, kernel or kernel_names(), quick)
    raise typer.Exit(EXIT_OK if ok else EXIT_INCORRECT)


app.command("run")(run_command)
app.command("resume")(resume_command)
app.command("demo")(demo_command)
app.command("report")(report_command)
app.command("export")(export_command)
app.command("mcp")(mcp_command)
app.command("study")(study_command)


def _label(annotation: Any) -> str | None:
    """'<path>' for list[Path], '<path> <path>' for tuple[Path, Path]; None for other types."""
    if get_origin(annotation) not in (list, tuple):
        return None
    return " ".join(f"<{getattr(a, '__name__', 'value').lower()}>" for a in get_args(annotation)) or None


def command() -> TyperGroup:
    """The click command behind app, with list and tuple values shown as '<path>' rather than '<list[Path]>'.

    (typer labels them with the Python annotation; an option shows its metavar, an argument the label
    of display_type_rich, so that is what is set here.)
    """
    group = typer.main.get_group(app)
    for sub in group.commands.values():
        for param in sub.params:
            label = _label(param.type_descriptor.annotation)
            if label is None:
                continue
            if isinstance(param, TyperArgument):
                param.display_type_rich = lambda ctx, label=label: label  # type: ignore[method-assign]
            elif param.metavar is None:
                param.metavar = label
    return group


def main() -> None:
    """Console entry point: every failure becomes one line and an exit code (see cli/errors.py)."""
    if sys.argv[1:] == ["--version"]:  # answer before anything else loads
        print(f"szagents {__version__}")
        raise SystemExit(0)
    on_sigterm()
    raise SystemExit(guarded(lambda: command()(prog_name="szagents", standalone_mode=False), debug="--debug" in sys.argv[1:]))
