"""Compile, validation and benchmark results as short plain text an LLM can act on."""

from __future__ import annotations

from pathlib import Path

from szagents.backends.diagnostics import summarize_log
from szagents.backends.results import BenchmarkResult, CompileResult, ValidationResult

__all__ = ["clip", "relativize", "format_compile", "format_validation", "format_benchmark", "numbered"]


def clip(text: str, limit: int) -> str:
    """text, or its head and tail around a marker saying how much was cut."""
    if len(text) <= limit:
        return text
    marker = f"\n[... {len(text) - limit} characters cut ...]\n"
    keep = max(limit - len(marker), 0)
    head = keep * 2 // 3
    return text[:head] + marker + text[len(text) - (keep - head):]


def relativize(text: str, root: Path) -> str:
    """Replace the workspace's absolute path by nothing, so diagnostics name kernel.c, not /tmp/..."""
    for prefix in {str(root), str(Path(root).resolve())}:
        text = text.replace(prefix + "/", "")
    return text


def numbered(lines: list[str], first: int) -> str:
    """Lines prefixed with their 1-based numbers (first is the number of lines[0])."""
    width = len(str(first + len(lines)))
    return "".join(f"{first + i:>{width}}| {line}" for i, line in enumerate(lines))


def format_compile(result: CompileResult, root: Path, log_chars: int = 4000) -> str:
    """ok or failed, with the diagnostics (first errors kept when long)."""
    log = summarize_log(relativize(result.log.strip(), root), limit=log_chars)
    cached = ", cached" if result.cached else ""
    if result.ok:
        head = f"compile: ok ({Path(result.compiler).name}, {result.compile_seconds:.1f} s{cached})"
        return head + (f"\nwarnings:\n{log}" if log else "")
    why = "timed out" if result.timed_out else "failed"
    return f"compile: {why} ({Path(result.compiler).name}); fix the first error first:\n{log or '(no output)'}"


def _case_row(case) -> str:
    ratio = f"{case.ratio:.2f}" if case.ratio is not None else "-"
    err = f"{case.max_error_over_eb:.3f}" if case.max_error_over_eb is not None else "-"
    return f"{case.dataset:<34} {case.n:>10} {case.eb:>10.3g} {case.verdict.value:<16} {ratio:>7} {err:>9}"


def format_validation(result: ValidationResult) -> str:
    """Verdict, detail and one row per case."""
    passed = sum(1 for c in result.cases if c.verdict.value == "ok")
    lines = [f"validation: {result.verdict.value} ({passed}/{len(result.cases)} cases passed)"]
    if result.detail:
        lines.append(f"detail: {result.detail}")
    if not result.ok and (result.phase or result.signal):  # a passing run's child is reaped by a signal too
        lines.append(f"failed in phase {result.phase or '?'}" + (f" with {result.signal}" if result.signal else ""))
    for case in result.cases:
        if case.violation is not None and "index" not in result.detail:
            v = case.violation
            lines.append(
                f"first bound violation in {case.dataset}: index {v.index}, x={v.value!r}, x'={v.reconstructed!r}, "
                f"|x-x'|={v.abs_error:.3g} = {v.error_over_eb:.3g} x eb ({v.count} elements out of bound)"
            )
            break
    if result.cases:
        lines.append(f"{'case':<34} {'n':>10} {'eb':>10} {'verdict':<16} {'ratio':>7} {'max|e|/eb':>9}")
        lines.extend(_case_row(c) for c in result.cases)
    if result.stderr_tail.strip() and not result.ok:
        lines.append("stderr (tail):\n" + result.stderr_tail.strip()[-1500:])
    return "\n".join(lines)


def format_benchmark(result: BenchmarkResult) -> str:
    """Verdict and per-case throughput (decimal GB/s, median), spread and ratio."""
    lines = [f"benchmark: {result.verdict.value}" + (f" ({result.detail})" if result.detail else "")]
    env = result.environment
    if env is not None:
        threads = f", {env.threads} threads" if env.threads else ""
        bw = f", memory bandwidth {env.memory_bandwidth_gbps:.0f} GB/s" if env.memory_bandwidth_gbps else ""
        lines.append(f"device: {env.device}{threads}{bw}")
    if result.cases:
        lines.append(f"{'case':<34} {'ratio':>7} {'comp GB/s':>10} {'decomp GB/s':>11} {'comp IQR %':>10} {'reps':>5}")
    for c in result.cases:
        iqr = 100 * c.compress.iqr_seconds / c.compress.median_seconds if c.compress.median_seconds else 0.0
        lines.append(
            f"{c.dataset:<34} {c.ratio:>7.2f} {c.compress_gbps:>10.3f} {c.decompress_gbps:>11.3f} "
            f"{iqr:>10.1f} {c.compress.repetitions:>5}"
        )
    if result.stderr_tail.strip() and not result.ok:
        lines.append("stderr (tail):\n" + result.stderr_tail.strip()[-1500:])
    return "\n".join(lines)
