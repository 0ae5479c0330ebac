"""Each SDK 1.1+ convention the backend follows, with the old behaviour failing against the stricter fakes."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from szagents.backends.child import checks
from szagents.backends.cerebras import CerebrasBackend
from szagents.backends.cerebras.launch import harness_folder, run_harness, stage
from szagents.backends.results import Verdict

from .conftest import SPEC, problems, small_config, validate, write_program

OLD_LAUNCH_BINDING = {"  @export_symbol(decompress);\n":
                      "  @export_symbol(decompress);\n  @rpc(@get_data_task_id(sys_mod.LAUNCH));\n"}
FAKE_CSLC_VERSION = "cslc 1.4.0 (szagents fake)"


def test_pre_1_1_launch_binding_fails_to_compile_for_wse3(fake_bin, tmp_path):
    """(1) The old skeleton line: the static check refuses it, and (checks off) the fake cslc rejects it on wse3."""
    program = write_program(tmp_path / "ws", edit=OLD_LAUNCH_BINDING)
    refused = CerebrasBackend(small_config()).compile(program.sources, SPEC, program.folder)
    assert not refused.ok and "error: delete @rpc(@get_data_task_id(sys_mod.LAUNCH))" in refused.log
    unchecked = CerebrasBackend(small_config(static_checks=False)).compile(program.sources, SPEC, program.folder)
    assert not unchecked.ok and "@rpc launch binding is not accepted for wse3" in unchecked.log
    assert unchecked.log.startswith("first error at pe.csl:")
    wse2 = CerebrasBackend(small_config(static_checks=False, arch="wse2"))
    assert wse2.compile(program.sources, SPEC, program.folder).ok


def test_cs_python_cannot_load_a_build_outside_its_folder(fake_bin, tmp_path):
    """(2) The old call (absolute --name into the build cache) is a runtime_error under the fake's container walls."""
    backend = CerebrasBackend(small_config())
    program = write_program(tmp_path / "ws")
    build = backend.compile(program.sources, SPEC, program.folder)
    folder = tmp_path / "staged"
    folder.mkdir()
    stage(folder, "validate", problems()[:1], SPEC, backend.params(SPEC), backend.config)
    old = ["cs_python", "run.py", "--name", str(build.library), "--request", "request.json", "--result", "result.json"]
    subprocess.run(old, cwd=folder, capture_output=True, text=True, check=True)
    result = json.loads((folder / "result.json").read_text())
    assert result["verdict"] == "runtime_error" and "not visible inside the SDK container" in result["detail"]
    shutil.copytree(build.library, folder / "out")  # what the backend does now
    new = [*old[:3], "out", *old[4:]]
    subprocess.run(new, cwd=folder, capture_output=True, text=True, check=True)
    assert json.loads((folder / "result.json").read_text())["verdict"] == "ok"


def test_the_sdk_image_has_python_but_no_cs_python(fake_bin, tmp_path):
    """(3) Inside the container cs_python does not exist (the old command); python runs the host program."""
    image = tmp_path / "sdk-cbcore.sif"
    image.write_bytes(b"SIF")
    old = subprocess.run(["singularity", "exec", "--bind", str(tmp_path), str(image), "cs_python", "-c", "1"],
                         cwd=tmp_path, capture_output=True, text=True, check=False)
    assert old.returncode == 255 and '"cs_python": executable file not found' in old.stderr
    backend = CerebrasBackend(small_config(container=image))
    program = write_program(tmp_path / "ws")
    assert validate(backend, program).ok


@pytest.fixture
def wafer(fake_client, monkeypatch):
    """cerebras/wafer.py imported here, over the fake SDK runtime."""
    monkeypatch.setitem(sys.modules, "sz_checks", checks)
    spec = importlib.util.spec_from_file_location("szagents_test_wafer", harness_folder() / "wafer.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_stale_timestamps_pass_unless_the_host_clears_them(wafer, tmp_path):
    """(5) A program that stamps only its first launch: uncleared tsc shows stale time; cleared, zero."""
    backend = CerebrasBackend(small_config())
    program = write_program(tmp_path / "ws", behaviour="stamps_once")
    build = backend.compile(program.sources, SPEC, program.folder)
    dev = wafer.Device(str(build.library), None, 2, 2)
    active = np.ones(4, bool)
    dev.put("info", np.zeros((2, 2, 4), np.uint32))
    dev.launch("compress")
    assert dev.cycles(active) > 0  # the first launch stamps
    dev.rt.launch("decompress", nonblock=False)  # the old host: no clearing before the launch
    assert dev.cycles(active) > 0  # ... so the stale stamps pass as this launch's time
    dev.launch("decompress")
    assert dev.cycles(active) == 0
    result = validate(backend, program)
    assert result.verdict is Verdict.zero_exec_time and "zero execution time" in result.detail


def test_sdk_version_and_mode_are_recorded(fake_bin, tmp_path):
    """The cslc version lands on the compile and harness results; availability names it with the mode."""
    backend = CerebrasBackend(small_config())
    state = backend.availability()
    assert state.available and state.reason.startswith(f"found {FAKE_CSLC_VERSION}; local SDK (cslc and cs_python)")
    assert "fabric simulator" in state.reason
    program = write_program(tmp_path / "ws")
    build = backend.compile(program.sources, SPEC, program.folder)
    result = backend.benchmark(build, SPEC, problems()[:1], program.folder)
    assert build.sdk_version == result.sdk_version == FAKE_CSLC_VERSION
    failed = write_program(tmp_path / "bad", edit={"  info[2] = 0;": "  info[2] = 0; // FAKE_COMPILE_ERROR: x"})
    broken = backend.compile(failed.sources, SPEC, failed.folder)
    assert backend.validate(broken, SPEC, problems(), failed.folder).sdk_version == FAKE_CSLC_VERSION


def test_probe_reports_cycles_and_status_without_judging(fake_bin, tmp_path):
    """The harness's probe op (the first check on a real SDK) returns per-launch cycles and status words."""
    backend = CerebrasBackend(small_config())
    for behaviour, timed in (("ok", True), ("zero_time", False)):
        program = write_program(tmp_path / behaviour, behaviour=behaviour)
        build = backend.compile(program.sources, SPEC, program.folder)
        run = run_harness(backend.config, build, "probe", [], SPEC, backend.params(SPEC), program.folder)
        assert run.result["verdict"] == "ok" and run.result["compress_status"] == [0, 0, 0, 0]
        assert (run.result["compress_cycles"] > 0) is timed and (run.result["decompress_cycles"] > 0) is timed
