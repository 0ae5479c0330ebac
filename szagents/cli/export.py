"""`szagents export`: runs and studies as Inspect eval logs (`inspect view`, inspect_ai.log).

Register on the main app with `app.command("export")(export_command)`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from szagents.cli.options import choice
from szagents.errors import ToolchainError

__all__ = ["export_command"]

FORMATS = ("eval", "json")


def export_command(
    run_dirs: Annotated[list[Path], typer.Argument(
        help="run folders, or folders with run folders below them (a study)", exists=True, file_okay=False)],
    out: Annotated[Path, typer.Option(help="folder that receives one log per task x model x tier x team")] = Path("logs"),
    format: Annotated[str, typer.Option("--format", help="eval (Inspect's compact log) or json")] = "eval",  # noqa: A002
) -> None:
    """Write runs as Inspect eval logs: one eval per task x model x tier x team, each run a sample."""
    choice("--format", format, FORMATS)
    try:
        from szagents.analysis.export import export_inspect
    except ImportError as exc:
        raise ToolchainError(f"szagents export needs inspect-ai ({exc.name} is missing): "
                             "pip install 'szagents[inspect]'") from None
    made = export_inspect(run_dirs, out, fmt=format)  # type: ignore[arg-type]
    for path in made.files:
        typer.echo(f"wrote {path}")
    typer.echo(f"{made.runs} runs in {len(made.files)} eval logs; view them with: inspect view --log-dir {out}")
    for note in made.left_out:
        typer.echo(f"left out: {note}")
