"""Rich tables for harness results."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from szagents.backends.diagnostics import summarize_log
from szagents.backends.results import BenchmarkResult, CompileResult, ValidationResult, Verdict
from szagents.cli.noise import print_noise_warnings

__all__ = ["print_compile", "print_validation", "print_benchmark"]

_COVERAGE = {
    "cupti": "every kernel, copy and memset the call ran, on any stream (CUPTI activity records)",
    "events": "CUDA events on the ABI stream only; work on other streams is caught only while still running",
}


def _verdict(v: Verdict) -> str:
    return f"[green]{v.value}[/green]" if v is Verdict.ok else f"[red]{v.value}[/red]"


def print_compile(console: Console, build: CompileResult) -> None:
    """One line for a good build; the summarized log for a failed one."""
    state = "cached" if build.cached else f"{build.compile_seconds:.2f} s"
    console.print(f"compile {', '.join(build.sources)}: {_verdict(build.verdict)} ({state})")
    console.print(f"  [dim]{' '.join(build.command)}[/dim]", soft_wrap=True)
    if not build.ok:
        console.print(summarize_log(build.log), markup=False, highlight=False)


def print_validation(console: Console, result: ValidationResult, title: str = "validation") -> None:
    """Per-case verdicts, ratio and max error; the failure detail below."""
    table = Table(title=f"{title}: {result.verdict.value} ({result.wall_seconds:.2f} s)")
    for column in ("dataset", "eb", "verdict", "ratio", "max |x-x'|/eb"):
        table.add_column(column, justify="right" if column != "dataset" else "left", no_wrap=column == "dataset")
    for case in result.cases:
        table.add_row(
            case.dataset, f"{case.eb:.3g}", _verdict(case.verdict),
            f"{case.ratio:.2f}" if case.ratio else "-",
            f"{case.max_error_over_eb:.3f}" if case.max_error_over_eb is not None else "-",
        )
    console.print(table)
    if not result.ok:
        console.print(f"[red]{result.verdict.value}[/red]: {result.detail}", markup=True, highlight=False)
        if result.stderr_tail.strip():
            console.print(result.stderr_tail, markup=False, highlight=False)


def _joules(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def print_benchmark(console: Console, result: BenchmarkResult, title: str = "benchmark") -> None:
    """Median GB/s (decimal) with the min-max spread, ratio and PSNR per case."""
    env = result.environment
    where = f" on {env.device}, {env.threads} threads" if env else ""
    table = Table(title=f"{title}{where}")
    energy = any(case.energy_note for case in result.cases)  # GPU runs: NVML's counter (or why there is none)
    columns = ("dataset", "eb", "ratio", "compress GB/s", "decompress GB/s", *(("J/GB c/d",) if energy else ()),
               "reps", "CV %", "PSNR dB")
    for column in columns:
        table.add_column(column, justify="right" if column != "dataset" else "left", no_wrap=column == "dataset")
    for case in result.cases:
        def spread(t, gbps):  # noqa: ANN001, ANN202 - local formatting helper
            lo, hi = case.input_bytes / t.max_seconds / 1e9, case.input_bytes / t.min_seconds / 1e9
            return f"{gbps:.3f} [{lo:.3f}-{hi:.3f}]"
        joules = f"{_joules(case.compress_joules_per_gb)}/{_joules(case.decompress_joules_per_gb)}"
        table.add_row(
            case.dataset, f"{case.eb:.3g}", f"{case.ratio:.2f}",
            spread(case.compress, case.compress_gbps), spread(case.decompress, case.decompress_gbps),
            *((joules,) if energy else ()),
            f"{case.compress.repetitions}/{case.decompress.repetitions}",
            "/".join(f"{t.cv * 100:.1f}" if t.cv is not None else "-" for t in (case.compress, case.decompress)),
            f"{case.psnr_db:.1f}",
        )
    console.print(table)
    coverage = _COVERAGE.get(result.cases[0].compress.coverage or "") if result.cases else None
    if coverage:
        note = result.cases[0].compress.trace_note
        console.print(f"[dim]timed: {coverage}{f' ({note})' if note else ''}[/dim]", highlight=False)
    for case in result.cases if energy else ():
        console.print(f"  [dim]energy, {case.dataset}: {case.energy_note}[/dim]", highlight=False)
    print_noise_warnings(console, result)
    if not result.ok:
        console.print(f"[red]{result.verdict.value}[/red]: {result.detail}", highlight=False)
