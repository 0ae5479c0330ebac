"""Appliance mode end to end: SdkCompiler / SdkLauncher of the fake cerebras.sdk.client (shaped on 2.10.0)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from szagents.backends.cerebras import CerebrasBackend
from szagents.backends.cerebras.tools import appliance_command
from szagents.backends.results import Verdict
from szagents.backends.sandbox import Limits
from szagents.tools.events import compile_event, validation_event

from .conftest import SPEC, problems, small_config, validate, write_program

FAKE_CLIENT_VERSION = "cerebras-sdk 2.10.0+szagents.fake"


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
    assert build.sdk_version == result.sdk_version == bench.sdk_version == FAKE_CLIENT_VERSION


def test_appliance_simulator_uses_the_small_fabric(fake_client, tmp_path):
    """On the cluster's simulator the program compiles for the minimal fabric and runs without %CMADDR%."""
    backend = _backend(fake_client, appliance_simulator=True)
    program = write_program(tmp_path / "ws")
    build = backend.compile(program.sources, SPEC, program.folder)
    assert "--fabric-dims=9,4" in build.command
    assert backend.validate(build, SPEC, problems(), program.folder).ok


def test_appliance_compile_error_is_read_from_the_clients_log(fake_client, tmp_path):
    """The client logs the compiler's output on stderr and raises a bare message: the log still locates the error."""
    marker = "fn compress() void { // FAKE_COMPILE_ERROR: expected ';'"
    program = write_program(tmp_path / "ws", edit={"fn compress() void {": marker})
    line = (program.folder / "pe.csl").read_text().splitlines().index(marker) + 1
    build = _backend(fake_client).compile(program.sources, SPEC, program.folder)
    assert not build.ok and build.log.startswith(f"first error at pe.csl:{line}: expected ';'")
    assert f"pe.csl:{line}:25: error: expected ';'" in build.log and "fake-worker-" not in build.log
    assert "SdkCompiler.compile() failed." in build.log


def test_the_fake_client_raises_only_the_bare_message(fake_client, tmp_path):
    """The old reading (diagnostics from the exception text) finds nothing with the client as it is."""
    program = write_program(tmp_path / "ws", edit={"fn compress() void {": "fn compress() void { // "
                                                   "FAKE_COMPILE_ERROR: expected ';'"})
    job = {"op": "compile", "app_path": str(program.folder), "csl_main": "layout.csl", "out_path": str(tmp_path),
           "options": "--arch=wse3 --params=width:2,height:2,chunk:256,cap_words:432 --memcpy -o out"}
    env = {**os.environ, "CSCONFIG_PATH": str(fake_client)}
    done = subprocess.run(appliance_command(small_config()), input=json.dumps(job), capture_output=True,
                          text=True, env=env, check=True)
    raised = [json.loads(line) for line in done.stdout.splitlines() if "compile_error" in line]
    assert raised == [{"compile_error": "ApplianceUnknownError: SdkCompiler.compile() failed."}]
    assert "INFO     CSL compiler output:\n\t/" in done.stderr and "error: expected ';'" in done.stderr


def test_a_non_default_config_reaches_the_client(fake_client, tmp_path):
    """The configured usernode config is passed as CSCONFIG_PATH; without it the client has no cluster."""
    job = {"op": "compile", "app_path": str(tmp_path), "csl_main": "layout.csl", "options": "-o out",
           "out_path": str(tmp_path)}
    env = {k: v for k, v in os.environ.items() if k != "CSCONFIG_PATH"}
    done = subprocess.run(appliance_command(small_config()), input=json.dumps(job), capture_output=True,
                          text=True, env=env, check=True)
    assert "mgmt_address has no default value" in done.stdout  # what the old child, given no path, met
    program = write_program(tmp_path / "ws")
    moved = tmp_path / "elsewhere" / "my_config"
    moved.parent.mkdir()
    moved.write_text(fake_client.read_text())
    assert _backend(moved).compile(program.sources, SPEC, program.folder).ok


@pytest.mark.slow
def test_appliance_stall_is_timed_from_the_launch(fake_client, tmp_path):
    """A launch that never returns is a stall after the execution limit; zero timestamps are zero_exec_time."""
    limits = Limits(wall_seconds=4, cpu_seconds=None, address_space_bytes=None)
    backend = _backend(fake_client, run_limits=limits)
    stalled = write_program(tmp_path / "stall", behaviour="stall")
    result = validate(backend, stalled)
    assert result.verdict is Verdict.stall and "after 4 s of execution" in result.detail
    assert result.phase == "running" and result.wall_seconds < 60
    zero = write_program(tmp_path / "zero", behaviour="zero_time")
    assert validate(backend, zero).verdict is Verdict.zero_exec_time


@pytest.mark.slow
def test_a_job_stuck_in_the_queue_is_queued_not_a_stall(fake_client, tmp_path, monkeypatch):
    """Waiting for the cluster does not count as execution: past queue_seconds the verdict is queued."""
    monkeypatch.setenv("SZAGENTS_FAKE_APPLIANCE_QUEUE_SECONDS", "6")
    limits = Limits(wall_seconds=20, cpu_seconds=None, address_space_bytes=None)
    program = write_program(tmp_path / "ws")
    result = validate(_backend(fake_client, run_limits=limits, queue_seconds=2), program)
    assert result.verdict is Verdict.queued and "kernel did not run" in result.detail, result
    # A queue shorter than queue_seconds plus a run inside the execution limit passes, though the
    # whole job takes longer than the execution limit alone (the old single limit called it a stall).
    limits = Limits(wall_seconds=5, cpu_seconds=None, address_space_bytes=None)
    assert validate(_backend(fake_client, run_limits=limits, queue_seconds=30), program).ok


def test_sdk_version_reaches_the_trajectory_events(fake_client, tmp_path):
    """Compile and validation events carry the client's version."""
    backend = _backend(fake_client)
    program = write_program(tmp_path / "ws")
    build = backend.compile(program.sources, SPEC, program.folder)
    event = compile_event(build, run_id="r", by="tool")
    assert event.sdk_version == FAKE_CLIENT_VERSION
    result = backend.validate(build, SPEC, problems()[:1], program.folder)
    assert validation_event(result, run_id="r", by="tool").sdk_version == FAKE_CLIENT_VERSION
