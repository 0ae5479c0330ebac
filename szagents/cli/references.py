"""`szagents references`: validate and benchmark the reference kernels on every usable backend."""

from __future__ import annotations

import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from szagents.backends.protocol import BenchSettings
from szagents.backends.registry import get_backend
from szagents.cli import render
from szagents.tasks.evaluate import Evaluation, build_problems, evaluate, kernel_spec
from szagents.tasks.task import load_kernel

__all__ = ["run_references"]

def _summary_row(table: Table, label: tuple[str, ...], result: Evaluation) -> None:
    bench = result.benchmark.cases[0] if result.benchmark and result.benchmark.cases else None
    verdict = result.validation.verdict.value if result.validation else result.build.verdict.value
    table.add_row(
        *label, verdict,
        f"{bench.ratio:.2f}" if bench else "-",
        f"{bench.compress_gbps:.3f}" if bench else "-",
        f"{bench.decompress_gbps:.3f}" if bench else "-",
    )


def run_references(console: Console, backends: list[str], kernels: list[str], quick: bool) -> bool:
    """Evaluate each kernel's sources for each backend; True when everything validated."""
    field = "each kernel's quick datasets (a quarter of the field)" if quick else "the study's 25.9 MB field"
    summary = Table(title=f"reference kernels: validation suite, then benchmark on {field}")
    for column in ("backend", "kernel", "variant", "source", "verdict", "ratio", "compress GB/s", "decompress GB/s"):
        summary.add_column(column)
    settings = BenchSettings(min_seconds=0.2 if quick else 0.5, min_reps=3 if quick else 5)
    all_ok = True
    with tempfile.TemporaryDirectory(prefix="szagents-references-") as tmp:
        for backend_name in backends:
            backend = get_backend(backend_name)
            if not backend.availability().available:
                console.print(f"[yellow]skipping {backend_name}: {backend.availability().reason}[/yellow]")
                continue
            if not backend.requirements.reference_sources:
                console.print(f"[yellow]skipping {backend_name}: it names no reference sources[/yellow]")
                continue
            for kernel_name in kernels:
                info = load_kernel(kernel_name)
                validation = build_problems(info.validation, info.dtype)
                bench = build_problems(info.benchmark.quick() if quick else info.benchmark, info.dtype)
                for variant in info.variants:
                    spec = kernel_spec(info, variant)
                    for role in backend.requirements.reference_sources:
                        label = (backend_name, kernel_name, variant, info.sources[role])
                        console.rule(" / ".join(label))
                        result = evaluate(backend, [info.source_path(role)], spec, Path(tmp), validation, bench, settings)
                        render.print_compile(console, result.build)
                        if result.validation:
                            render.print_validation(console, result.validation)
                        if result.benchmark:
                            render.print_benchmark(console, result.benchmark)
                        all_ok &= result.correct
                        _summary_row(summary, label, result)
    console.print(summary)
    return all_ok
