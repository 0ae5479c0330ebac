"""The cerebras backend end to end in local-SDK mode, driven by the fake cslc and cs_python."""

from __future__ import annotations

import sys

import pytest

from szagents.backends.cerebras import CerebrasBackend
from szagents.backends.cerebras.build import STATIC_CHECKER
from szagents.backends.protocol import Backend, KernelSpec
from szagents.backends.results import Verdict
from szagents.backends.sandbox import Limits
from szagents.errors import HarnessError

from .conftest import SPEC, problems, small_config, validate, write_program


def test_backend_satisfies_the_protocol(backend):
    """CerebrasBackend is a Backend named cerebras."""
    assert isinstance(backend, Backend) and backend.name == "cerebras"


def test_correct_program_validates_with_device_time(backend, tmp_path):
    """A correct program compiles with the documented cslc flags and validates; cases report device cycles."""
    program = write_program(tmp_path / "ws")
    build = backend.compile(program.sources, SPEC, program.folder)
    assert build.ok, build.log
    assert build.command[:2] == ["cslc", "layout.csl"] and "--memcpy" in build.command
    assert "--params=width:2,height:2,chunk:256,cap_words:432" in build.command
    assert "--fabric-dims=9,4" in build.command and "--arch=wse3" in build.command
    result = backend.validate(build, SPEC, problems(), program.folder)
    assert result.ok, result
    assert [c.verdict for c in result.cases] == [Verdict.ok, Verdict.ok]
    assert "cycles" in result.cases[0].detail and result.cases[0].compressed_bytes > 0


def test_benchmark_reports_exec_time_cycles_and_gbps(backend, tmp_path):
    """Benchmark cases carry device cycles, the clock, and seconds and GB/s derived from them."""
    program = write_program(tmp_path / "ws")
    build = backend.compile(program.sources, SPEC, program.folder)
    result = backend.benchmark(build, SPEC, problems()[:1], program.folder)
    assert result.ok, result
    case = result.cases[0]
    assert case.compress_cycles > 0 and case.clock_hz == 850e6
    assert case.compress.median_seconds == case.compress_cycles / 850e6
    assert abs(case.compress_gbps - case.input_bytes / case.compress.median_seconds / 1e9) < 1e-9
    assert case.compress.repetitions == 2 and "simulator" in result.environment.device


def test_identical_sources_reuse_the_cached_build(backend, tmp_path):
    """A second compile of the same bytes and config is a cache hit."""
    program = write_program(tmp_path / "ws")
    first = backend.compile(program.sources, SPEC, program.folder)
    second = backend.compile(program.sources, SPEC, program.folder)
    assert not first.cached and second.cached and second.library == first.library


def test_compile_error_is_located_for_the_agent(backend, tmp_path):
    """A cslc error comes back as compile_error with pe.csl:line:col, without build-folder paths."""
    marker = "  info[2] = 0; // FAKE_COMPILE_ERROR: use of undeclared identifier 'nbits'"
    program = write_program(tmp_path / "ws", edit={"  info[2] = 0;": marker})
    line = (program.folder / "pe.csl").read_text().splitlines().index(marker) + 1
    build = backend.compile(program.sources, SPEC, program.folder)
    assert not build.ok
    assert f"pe.csl:{line}:19: error: use of undeclared identifier 'nbits'" in build.log
    assert build.log.startswith(f"first error at pe.csl:{line}") and "/cache/" not in build.log
    assert backend.validate(build, SPEC, problems(), program.folder).verdict is Verdict.compile_error


def test_static_errors_refuse_the_compile(backend, tmp_path):
    """A program missing an exported symbol is refused by the static checks; cslc never runs."""
    program = write_program(tmp_path / "ws")
    layout = program.folder / "layout.csl"
    layout.write_text(layout.read_text().replace('  @export_name("tsc", [*]u16, true);\n', ""))
    build = backend.compile(program.sources, SPEC, program.folder)
    assert not build.ok and build.compiler == STATIC_CHECKER
    assert 'layout.csl:1: error: the host harness needs @export_name("tsc", [*]u16, true)' in build.log


@pytest.mark.slow
def test_stall_is_classified_with_its_phase(fake_bin, tmp_path):
    """A launch that never returns becomes stall, naming the round it hung in."""
    limits = Limits(wall_seconds=3, cpu_seconds=None, address_space_bytes=None)
    backend = CerebrasBackend(small_config(run_limits=limits))
    program = write_program(tmp_path / "ws", behaviour="stall")
    result = validate(backend, program)
    assert result.verdict is Verdict.stall
    assert "sine:2500: compress round 1/3" in result.detail and "unblock_cmd_stream" in result.detail


def test_zero_execution_time_fails(backend, tmp_path):
    """Correct values with all-zero timestamps are a zero_exec_time failure."""
    program = write_program(tmp_path / "ws", behaviour="zero_time")
    result = validate(backend, program)
    assert result.verdict is Verdict.zero_exec_time and "zero execution time" in result.detail


def test_wrong_values_are_a_bound_violation(backend, tmp_path):
    """A decompressor 3*eb off on one PE is a bound_violation with the first bad index."""
    program = write_program(tmp_path / "ws", behaviour="wrong")
    result = validate(backend, program)
    assert result.verdict is Verdict.bound_violation
    assert result.cases[0].violation.index == 128 and "[sine:2500]" in result.detail


def test_unwritten_outputs_are_caught(backend, tmp_path):
    """Outputs left as the poison the harness wrote are unwritten_output, located by PE and round."""
    program = write_program(tmp_path / "ws", behaviour="unwritten")
    result = validate(backend, program)
    assert result.verdict is Verdict.unwritten_output and "first at index 255, PE (0,0) in round 1/3" in result.detail


def test_runtime_exception_is_a_runtime_error(backend, tmp_path):
    """An exception from the SDK runtime during a launch is runtime_error with the runtime's message."""
    program = write_program(tmp_path / "ws", behaviour="runtime_error")
    result = validate(backend, program)
    assert result.verdict is Verdict.runtime_error and "launch('compress') failed" in result.detail


def test_status_word_is_an_error_status(backend, tmp_path):
    """A PE that sets info[3] != 0 is error_status naming the PE, the round and the status."""
    program = write_program(tmp_path / "ws", behaviour="status")
    result = validate(backend, program)
    assert result.verdict is Verdict.error_status
    assert "compress on PE (1,0) in round 1/3 reported status 7" in result.detail


def test_format_check_compares_per_pe_streams(backend, tmp_path):
    """With format_check, each PE's stream must equal the reference codec's stream of its chunk."""
    program = write_program(tmp_path / "ws")
    build = backend.compile(program.sources, SPEC, program.folder)
    strict = KernelSpec(codec="szp", options={"mode": "plain"}, format_check=True)
    assert backend.validate(build, strict, problems(), program.folder).ok
    result = validate(backend, program, KernelSpec(codec="szp", options={"mode": "outlier"}, format_check=True))
    assert result.verdict is Verdict.wrong_output and "chunk 0" in result.detail


def test_container_mode_wraps_both_tools(fake_bin, tmp_path):
    """With an SDK image configured, cslc and cs_python run through singularity exec --bind."""
    image = tmp_path / "sdk-cbcore.sif"
    image.write_bytes(b"SIF")
    backend = CerebrasBackend(small_config(container=image, cslc="cslc"))
    program = write_program(tmp_path / "ws")
    build = backend.compile(program.sources, SPEC, program.folder)
    assert build.ok, build.log
    assert build.command[:2] == ["singularity", "exec"] and str(image) in build.command
    assert backend.validate(build, SPEC, problems(), program.folder).ok


def test_decompressor_reading_the_input_is_a_cheat(backend, tmp_path):
    """Decoding from 'values' instead of the stream fails on poison, then passes with the input restored."""
    program = write_program(tmp_path / "ws", behaviour="reads_input")
    result = validate(backend, program)
    assert result.verdict is Verdict.cheat_detected and "reads the original input" in result.detail


def test_under_reported_stream_size_is_a_size_error(backend, tmp_path):
    """A stream whose reported size is short decodes only with the bytes past it: size_error."""
    program = write_program(tmp_path / "ws", behaviour="short_size")
    result = validate(backend, program)
    assert result.verdict is Verdict.size_error and "under-report" in result.detail


def test_broken_sdk_environment_is_a_harness_error(backend, fake_bin, tmp_path):
    """A cs_python that cannot import the SDK runtime is an infrastructure fault, not the kernel's."""
    bare = fake_bin / "cs_python_bare"
    bare.write_text(f'#!/bin/sh\nPYTHONPATH= exec "{sys.executable}" "$@"\n')
    bare.chmod(0o755)
    broken = CerebrasBackend(small_config(cs_python=str(bare)))
    program = write_program(tmp_path / "ws")
    build = broken.compile(program.sources, SPEC, program.folder)
    with pytest.raises(HarnessError, match="No module named 'cerebras"):
        broken.validate(build, SPEC, problems(), program.folder)
