"""Appliance mode end to end: SdkCompiler / SdkLauncher of the fake cerebras.sdk.client."""

from __future__ import annotations

import json

from szagents.backends.cerebras import CerebrasBackend
from szagents.backends.results import Verdict
from szagents.backends.sandbox import Limits

from .conftest import SPEC, problems, small_config, validate, write_program


def _backend(config_file, **overrides) -> CerebrasBackend:
    return CerebrasBackend(small_config(mode="appliance", appliance_config=config_file, **overrides))


def test_appliance_compiles_and_validates_on_hardware(fake_client, tmp_path):
    """SdkCompiler returns an artifact; SdkLauncher stages run.py and data and runs it with %CMADDR%."""
    backend = _backend(fake_client)
    assert backend.availability().available
    program = write_program(tmp_path / "ws")
    build = backend.compile(program.sources, SPEC, program.folder)
    assert build.ok, build.log
    assert build.command[0] == "SdkCompiler.compile" and "--fabric-dims=762,1172" in build.command
    assert json.loads(build.library.read_text())["artifact"].endswith(".tar.gz")
    result = backend.validate(build, SPEC, problems(), program.folder)
    assert result.ok, result
    bench = backend.benchmark(build, SPEC, problems()[:1], program.folder)
    assert bench.ok and bench.cases[0].decompress_cycles > 0 and "Wafer-Scale Cluster" in bench.environment.device


def test_appliance_simulator_uses_the_small_fabric(fake_client, tmp_path):
    """On the cluster's simulator the program compiles for the minimal fabric and runs without %CMADDR%."""
    backend = _backend(fake_client, appliance_simulator=True)
    program = write_program(tmp_path / "ws")
    build = backend.compile(program.sources, SPEC, program.folder)
    assert "--fabric-dims=9,4" in build.command
    assert backend.validate(build, SPEC, problems(), program.folder).ok


def test_appliance_compile_error_keeps_the_location(fake_client, tmp_path):
    """A failed SdkCompiler.compile is compile_error with the compiler's file:line message."""
    marker = "fn compress() void { // FAKE_COMPILE_ERROR: expected ';'"
    program = write_program(tmp_path / "ws", edit={"fn compress() void {": marker})
    build = _backend(fake_client).compile(program.sources, SPEC, program.folder)
    assert not build.ok and "pe.csl:48:25: error" in build.log and "error: expected ';'" in build.log


def test_appliance_stall_and_zero_time(fake_client, tmp_path):
    """A launch that never returns on the appliance is a stall; zero timestamps are zero_exec_time."""
    limits = Limits(wall_seconds=4, cpu_seconds=None, address_space_bytes=None)
    backend = _backend(fake_client, run_limits=limits)
    stalled = write_program(tmp_path / "stall", behaviour="stall")
    result = validate(backend, stalled)
    assert result.verdict is Verdict.stall and "'running'" in result.detail
    zero = write_program(tmp_path / "zero", behaviour="zero_time")
    assert validate(backend, zero).verdict is Verdict.zero_exec_time
