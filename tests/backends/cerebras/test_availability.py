"""availability() names exactly what is missing and how to provide it; compile then fails fast."""

from __future__ import annotations

import os
import sys

import pytest

from szagents.backends.cerebras import CerebrasBackend, CerebrasConfig
from szagents.errors import ToolchainError

from .conftest import SPEC, small_config, write_program


@pytest.fixture
def bare_path(tmp_path, monkeypatch):
    """A PATH with none of the SDK's tools."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return empty


def test_no_sdk_says_what_is_missing_and_compile_fails_fast(bare_path, tmp_path):
    """Without cslc: not available, cannot compile, the fix names the SDK and the container variable."""
    backend = CerebrasBackend(CerebrasConfig())
    state = backend.availability()
    assert not state.available and not state.can_compile
    assert "no 'cslc' on PATH" in state.reason and "SZAGENTS_CEREBRAS_CONTAINER" in state.fix
    program = write_program(tmp_path / "ws")
    with pytest.raises(ToolchainError, match="cannot compile: no 'cslc' on PATH"):
        backend.compile(program.sources, SPEC, program.folder)


def test_cslc_without_cs_python_compiles_but_cannot_run(fake_bin, tmp_path):
    """cslc alone: compiling works, running does not, and the reason says cs_python is missing."""
    state = CerebrasBackend(small_config(cs_python="no-cs-python-here")).availability()
    assert state.can_compile and not state.available and "no 'no-cs-python-here' on PATH" in state.reason


def test_container_problems_are_named(fake_bin, tmp_path):
    """A configured image that does not exist, or no singularity, is reported as such."""
    missing = CerebrasBackend(small_config(container=tmp_path / "nope.sif")).availability()
    assert not missing.can_compile and "nope.sif not found" in missing.reason
    image = tmp_path / "sdk.sif"
    image.write_bytes(b"SIF")
    no_runtime = CerebrasBackend(small_config(container=image, singularity="apptainer-missing")).availability()
    assert "'apptainer-missing' not found on PATH" in no_runtime.reason and "APPTAINER" not in no_runtime.fix


def test_appliance_needs_the_client_package_and_an_endpoint(bare_path, tmp_path, monkeypatch):
    """Appliance mode without cerebras-sdk names the pip install; without a usernode config, the endpoint."""
    monkeypatch.setattr(sys, "path", [p for p in sys.path if "fakes" not in p])
    for name in [m for m in sys.modules if m == "cerebras" or m.startswith("cerebras.")]:
        monkeypatch.delitem(sys.modules, name)  # a fake client an earlier test of this worker imported
    state = CerebrasBackend(small_config(mode="appliance")).availability()
    assert not state.can_compile and "cerebras-sdk package (cerebras.sdk.client) is not importable" in state.reason
    assert "pip install cerebras-sdk" in state.fix


def test_appliance_endpoint_missing(fake_client, tmp_path):
    """With the client but no usernode config, the reason is the missing endpoint."""
    state = CerebrasBackend(small_config(mode="appliance", appliance_config=tmp_path / "none")).availability()
    assert not state.available and "no appliance endpoint" in state.reason and "config_v2" in state.fix


def test_appliance_python_is_probed_in_its_own_process(fake_client):
    """A separate appliance interpreter is asked whether it can import the client."""
    ok = CerebrasBackend(small_config(mode="appliance", appliance_python=sys.executable,
                                      appliance_config=fake_client)).availability()
    assert ok.available, ok


def test_bad_cmaddr_is_reported(fake_bin):
    """A system address that is not IP:PORT is named with an example."""
    state = CerebrasBackend(small_config(cmaddr="10.0.0.5")).availability()
    assert not state.available and state.can_compile and "IP:PORT" in state.reason


def test_config_from_environment(monkeypatch):
    """SZAGENTS_CEREBRAS_* variables configure the default backend the registry builds."""
    env = {"SZAGENTS_CEREBRAS_MODE": "appliance", "SZAGENTS_CEREBRAS_WIDTH": "8", "SZAGENTS_CEREBRAS_CLOCK_HZ": "1.1e9",
           "SZAGENTS_CEREBRAS_FABRIC_DIMS": "20,10", "SZAGENTS_CEREBRAS_APPLIANCE_SIMULATOR": "true"}
    config = CerebrasConfig.from_env(env)
    assert (config.mode, config.width, config.clock_hz, config.fabric()) == ("appliance", 8, 1.1e9, (20, 10))
    assert not config.on_hardware
    client_override = CerebrasConfig.from_env({"CSCONFIG_PATH": "/srv/cs/config", "SZAGENTS_CEREBRAS_QUEUE_SECONDS": "90"})
    assert str(client_override.appliance_config) == "/srv/cs/config" and client_override.queue_seconds == 90
    monkeypatch.setenv("SZAGENTS_CEREBRAS_CMADDR", "10.0.0.5:9000")
    assert CerebrasBackend().config.fabric() == (762, 1172) and os.environ["SZAGENTS_CEREBRAS_CMADDR"]
