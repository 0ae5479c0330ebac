"""`szagents validate`: compile and run the harness on files, with visible progress and result tables."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console

from szagents.cli import render

__all__ = ["run_validate"]


def _what(suite: Any, bench: bool, limit_s: float | None) -> str:
    cases = len(suite.datasets) * len(suite.relative_bounds)
    limit = f", harness limit {limit_s:.0f} s (--timeout)" if limit_s else ""
    return f"compiling, then validating {cases} cases{' and benchmarking' if bench else ''}{limit} ..."


def run_validate(console: Console, backend: Any, info: Any, files: list[Path], suite: Any, variant: str | None,
                 format_check: bool, workdir: Path | None, benchmark: Any | None) -> bool:
    """Evaluate files on backend (and benchmark them on the benchmark suite, if any), print the tables; True when
    correct (and the benchmark, if any, ran)."""
    from szagents.tasks.evaluate import build_problems, evaluate, kernel_spec

    spec = kernel_spec(info, variant, format_check)
    limit = getattr(getattr(backend, "run_limits", None), "wall_seconds", None)
    problems = build_problems(suite, info.dtype)
    with tempfile.TemporaryDirectory(prefix="szagents-") as tmp:
        folder = workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        with _progress(console, _what(suite, benchmark is not None, limit)):
            result = evaluate(backend, files, spec, folder, problems,
                              build_problems(benchmark, info.dtype) if benchmark is not None else ())
        render.print_compile(console, result.build)
        if result.validation is not None:
            render.print_validation(console, result.validation)  # a crash names its case (the harness tracks it)
    if result.benchmark is not None:
        render.print_benchmark(console, result.benchmark)
    return result.correct and (result.benchmark is None or result.benchmark.ok)


def _progress(console: Console, text: str) -> Any:
    """A spinner on a terminal; one line when output is piped."""
    return console.status(text) if console.is_terminal else _Line(console, text)


class _Line:
    """Progress for piped output: one line before the work (a spinner would only clutter a log)."""

    def __init__(self, console: Console, text: str) -> None:
        self.console, self.text = console, text

    def __enter__(self) -> None:
        self.console.print(self.text, highlight=False)

    def __exit__(self, *exc: object) -> None:
        return None
