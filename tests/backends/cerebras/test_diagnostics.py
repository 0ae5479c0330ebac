"""cslc's messages parsed to file:line:col, and the commands built for the SDK tools."""

from __future__ import annotations

from pathlib import Path

from szagents.backends.cerebras import CerebrasConfig, parse_diagnostics
from szagents.backends.cerebras.diagnostics import appliance_compiler_output, describe_failure, relativize
from szagents.backends.cerebras.tools import cs_python_args, cslc_options, host_python, tool_command

LOG = """/cache/ab/src/pe.csl:12:5: error: use of undeclared identifier 'nbits'
  nbits += 1;
  ^
/cache/ab/src/layout.csl:3:1: warning: param 'extra' is unused
<memcpy/memcpy>:40:3: note: called from here
pe.csl:20: error: expected ';'
2 error(s) generated.
"""


def test_messages_are_parsed_with_file_line_and_column():
    """Errors, warnings and notes are located; absolute build paths reduce to the file name."""
    found = parse_diagnostics(LOG)
    assert [str(d) for d in found] == [
        "pe.csl:12:5: error: use of undeclared identifier 'nbits'",
        "layout.csl:3:1: warning: param 'extra' is unused",
        "pe.csl:20: error: expected ';'",
    ]
    assert describe_failure(LOG) == "first error at pe.csl:12 (1 more): use of undeclared identifier 'nbits'"
    assert describe_failure("segfault") == "cslc failed without a located error; see its output below"


def test_build_folder_paths_are_removed():
    """The log the agent sees names layout.csl and pe.csl, not the cache folder."""
    assert relativize(LOG, Path("/cache/ab/src")).startswith("pe.csl:12:5: error:")


def test_tool_commands_follow_the_documented_shapes(tmp_path):
    """cslc gets arch, fabric, params, --memcpy, channels and -o out; a container wraps each tool."""
    config = CerebrasConfig(width=3, height=2, channels=2)
    options = cslc_options(config, {"width": 3, "height": 2, "chunk": 64, "cap_words": 60})
    assert options == ["--arch=wse3", "--fabric-dims=10,4", "--fabric-offsets=4,1",
                       "--params=width:3,height:2,chunk:64,cap_words:60", "--memcpy", "--channels=2", "-o", "out"]
    assert tool_command(config, "cslc", [tmp_path]) == ["cslc"]
    boxed = CerebrasConfig(container=tmp_path / "sdk.sif", singularity="apptainer")
    assert tool_command(boxed, "cs_python", [tmp_path, tmp_path]) == [
        "apptainer", "exec", "--bind", str(tmp_path.resolve()), str(tmp_path / "sdk.sif"), "cs_python"]
    assert cs_python_args("10.0.0.1:9000")[:3] == ["run.py", "--name", "out"]
    assert cs_python_args("10.0.0.1:9000")[-2:] == ["--cmaddr", "10.0.0.1:9000"]
    assert host_python(config, tmp_path) == ["cs_python"]
    assert host_python(boxed, tmp_path)[-2:] == [str(tmp_path / "sdk.sif"), "python"]
    assert CerebrasConfig(arch="wse2", cmaddr="10.0.0.1:9000").fabric() == (757, 996)


# What cerebras-sdk 2.10.0's SdkCompiler writes to stderr for a failed compile: its logger's
# timestamp and level, then the compiler's output indented by one tab (paths of the worker).
APPLIANCE_STDERR = """2026-11-29 15:00:01,204 INFO     CSL compiler output:
\t/n1/wsjob-17/cs_0c1f/pe.csl:12:5: error: use of undeclared identifier 'nbits'
\t  nbits += 1;
\t  ^
\t1 error(s) generated.
"""


def test_appliance_compiler_output_is_found_in_the_logger_lines():
    """The tab-indented block under 'CSL compiler output:' becomes a log whose first error is located."""
    log = relativize(appliance_compiler_output(APPLIANCE_STDERR))
    assert log.startswith("pe.csl:12:5: error: use of undeclared identifier 'nbits'\n  nbits += 1;")
    assert describe_failure(log) == "first error at pe.csl:12: use of undeclared identifier 'nbits'"
    # Before: the diagnostics were looked for in the raised text, or in stderr as it is: none found.
    assert parse_diagnostics("ApplianceUnknownError: SdkCompiler.compile() failed.") == []
    assert parse_diagnostics(APPLIANCE_STDERR) == []
    assert appliance_compiler_output("no logger lines") == "no logger lines"
