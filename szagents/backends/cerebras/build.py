"""Compile an agent's CSL: static pre-checks, then cslc (local SDK) or SdkCompiler (appliance)."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from szagents.backends.cerebras.config import SDK_ISOLATION, CerebrasConfig
from szagents.backends.cerebras.conventions import LAYOUT_FILE
from szagents.backends.cerebras.diagnostics import appliance_compiler_output, describe_failure, relativize
from szagents.backends.cerebras.static_checks import Finding, check_sources, format_findings, has_errors
from szagents.backends.cerebras.tools import OUT_NAME, appliance_command, cslc_options, json_lines, tool_command
from szagents.backends.cerebras.version import sdk_version
from szagents.backends.build.compiler import cached_build, content_hash, store_build
from szagents.backends.results import CompileResult
from szagents.backends.sandbox import ProcessOutcome, run_limited
from szagents.errors import ToolchainError

__all__ = ["build_program", "appliance_env", "STATIC_CHECKER", "ARTIFACT_RECORD"]

STATIC_CHECKER = "szagents-csl-checks"  # the `compiler` of a result the static checks refused
ARTIFACT_RECORD = "artifact.json"  # appliance builds: the artifact path the cluster returned


class _Step(NamedTuple):
    """What one compile attempt produced, before it becomes a CompileResult."""

    ok: bool
    library: Path
    command: list[str]
    outcome: ProcessOutcome
    raw_log: str
    sdk_version: str | None


def build_program(config: CerebrasConfig, sources: Sequence[Path], params: Mapping[str, int]) -> CompileResult:
    """Compile sources for params, reusing an identical earlier build from the cache."""
    texts = {p.name: p.read_text(errors="replace") for p in sources}
    options = cslc_options(config, params)
    version = sdk_version(config)  # in the key: a build of one SDK is never reused by another
    key = content_hash(list(sources), [config.mode, config.cslc, str(config.container or ""), str(version), *options])
    base = {"backend": "cerebras", "sources": sorted(texts), "content_sha256": key, "sdk_version": version}
    limit = config.pe_memory_bytes - config.reserved_bytes
    findings = check_sources(texts, params, limit, config.arch) if config.static_checks else []
    if has_errors(findings):
        log = format_findings(findings) + "\n(static pre-checks of szagents: fix these before a compile is spent)"
        return CompileResult(ok=False, compiler=STATIC_CHECKER, command=[STATIC_CHECKER, LAYOUT_FILE], log=log, **base)
    folder, cached = cached_build("cerebras", key)
    if cached is not None:
        return cached
    src = folder / "src"
    shutil.rmtree(src, ignore_errors=True)
    src.mkdir(parents=True)
    for path in sources:
        shutil.copyfile(path, src / path.name)
    result = _compile(config, src, options, findings, base)
    store_build(folder, result)
    return result


def _compile(config: CerebrasConfig, src: Path, options: list[str], findings: list[Finding],
             base: dict[str, Any]) -> CompileResult:
    """Run the mode's compiler in src; the log names files relative to src, first error first."""
    start = time.perf_counter()
    step = (_appliance_compile if config.mode == "appliance" else _local_compile)(config, src, options)
    log = relativize(step.raw_log, src)
    if step.outcome.timed_out:
        log += f"\n[compile killed after {config.compile_limits.wall_seconds:g} s wall-clock limit]"
    elif not step.ok:
        log = describe_failure(log) + "\n" + log
    if findings:
        log = format_findings(findings) + "\n" + log
    if step.sdk_version:
        base = {**base, "sdk_version": step.sdk_version}
    return CompileResult(ok=step.ok, compiler=step.command[0], command=step.command,
                         library=step.library if step.ok else None, log=log, timed_out=step.outcome.timed_out,
                         compile_seconds=time.perf_counter() - start, **base)


def _local_compile(config: CerebrasConfig, src: Path, options: list[str]) -> _Step:
    command = [*tool_command(config, config.cslc, [src]), LAYOUT_FILE, *options]
    outcome = run_limited(command, limits=config.compile_limits.model_copy(update={"drop_privileges": False}), cwd=src,
                          isolation=SDK_ISOLATION)
    out = src / OUT_NAME
    ok = outcome.returncode == 0 and not outcome.timed_out and out.is_dir()
    return _Step(ok, out, command, outcome, outcome.stderr + outcome.stdout, None)


def appliance_env(config: CerebrasConfig) -> dict[str, str]:
    """This environment with CSCONFIG_PATH naming the configured usernode config (the client reads it)."""
    return {**os.environ, "CSCONFIG_PATH": str(config.appliance_config)}


def _appliance_compile(config: CerebrasConfig, src: Path, options: list[str]) -> _Step:
    job = {"op": "compile", "app_path": str(src), "csl_main": LAYOUT_FILE, "options": " ".join(options),
           "out_path": str(src), "compiler_options": {"disable_version_check": config.disable_version_check}}
    command = appliance_command(config)
    outcome = run_limited(command, limits=config.compile_limits, cwd=src, stdin=json.dumps(job), isolation=SDK_ISOLATION,
                          env=appliance_env(config))
    lines = json_lines(outcome.stdout)
    fault = next((line["internal_error"] for line in lines if "internal_error" in line), None)
    if fault is not None:
        raise ToolchainError(f"appliance compile could not run: {fault}")
    record = src / ARTIFACT_RECORD
    artifact = next((line["artifact"] for line in lines if "artifact" in line), None)
    if artifact is not None:
        record.write_text(json.dumps({"artifact": artifact}))
    # The client logs the compiler's output to stderr and raises a bare "SdkCompiler.compile() failed.".
    raised = "\n".join(line["compile_error"] for line in lines if "compile_error" in line)
    raw = "\n".join(part for part in (appliance_compiler_output(outcome.stderr), raised) if part.strip())
    version = next((line["sdk_version"] for line in lines if "sdk_version" in line), None)
    shown = ["SdkCompiler.compile", LAYOUT_FILE, *options]
    return _Step(artifact is not None, record, shown, outcome, raw, version)

