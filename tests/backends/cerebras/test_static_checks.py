"""Static pre-checks on good CSL and on the study's common mistakes, each located for the agent."""

from __future__ import annotations

from pathlib import Path

import pytest

from szagents.backends.cerebras import HOST_PARAMS, HOST_SYMBOLS, cap_words, check_sources, format_findings, has_errors
from szagents.backends.cerebras.conventions import host_params
from szagents.backends.cerebras.csl_source import CslSource, evaluate, struct_fields

from .conftest import SKELETON

GOOD = Path(__file__).parent / "samples" / "good"
LIMIT = 42 * 1024
PARAMS = host_params(2, 2, 2048, cap_words("szp", {"mode": "plain"}, 2048))


def _sources(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in folder.glob("*.csl")}


def _edited(file: str, old: str, new: str, folder: Path = GOOD) -> dict[str, str]:
    sources = _sources(folder)
    assert old in sources[file], old
    sources[file] = sources[file].replace(old, new)
    return sources


@pytest.mark.parametrize("folder", [SKELETON, GOOD], ids=["skeleton", "good-sample"])
@pytest.mark.parametrize("codec,options", [("szp", {"mode": "plain"}), ("szp", {"mode": "outlier"}), ("szx", {})])
def test_good_programs_have_no_findings(folder, codec, options):
    """The skeleton and a well-formed sample pass for every codec's capacity at the default chunking."""
    params = host_params(4, 4, 2048, cap_words(codec, options, 2048))
    assert check_sources(_sources(folder), params, LIMIT) == []


BAD = [
    ("layout.csl", ".cap_words = cap_words, ", "",
     "pe.csl:3: error: param 'cap_words' gets no value: add `.cap_words = ...`"),
    ("pe.csl", '  @export_symbol(out_ptr, "stream");\n', "",
     "pe.csl:1: error: 'stream' is exported in the layout but not by the PE program"),
    ("layout.csl", '@export_name("info", [*]u32, true)', '@export_name("info", [*]u32, false)',
     "layout.csl:24: error: the host writes 'info': export it mutable"),
    ("layout.csl", "@set_rectangle(width, height)", "@set_rectangle(4, 4)",
     "layout.csl:14: error: @set_rectangle gives 4x4 PEs but the host copies to a 2x2 rectangle"),
    ("pe.csl", "var x_buf: [chunk]f32;", "var x_buf: [chunk / 2]f32;",
     "pe.csl:12: error: the host copies 2048 f32 per PE (chunk) to 'values', but 'x_buf' holds 1024"),
    ("pe.csl", "var stamps = @zeros([2 * timestamp.tsc_size_words]u16);", "var stamps = @zeros([3]u16);",
     "pe.csl:18: error: the host copies 6 u16 per PE (6) to 'tsc', but 'stamps' holds 3"),
    ("pe.csl", "var x_buf: [chunk]f32;", "var x_buf: [chunk]f16;",
     "pe.csl:12: error: 'x_buf' (exported as 'values') holds f16, but the host transfers f32"),
    ("pe.csl", "  sys_mod.unblock_cmd_stream();\n", "",
     "pe.csl:1: error: sys_mod.unblock_cmd_stream() is never called"),
    ("pe.csl", "  @export_symbol(decompress);\n", "  @export_symbol(decompress);\n  @rpc(@get_data_task_id(sys_mod.LAUNCH));\n",
     "pe.csl:46: error: delete @rpc(@get_data_task_id(sys_mod.LAUNCH)): since SDK 1.1.0"),
    ("layout.csl", '@export_name("tsc", [*]u16, true)', '@export_name("tsc", [*]u16, false)',
     "layout.csl:25: error: the host writes 'tsc': export it mutable"),
    ("pe.csl", "var stamps_ptr: [*]u16 = &stamps;", "const stamps_ptr: [*]u16 = &stamps;",
     "pe.csl:25: warning: 'stamps_ptr' is declared `const` but exported as 'tsc', which the host writes"),
    ("layout.csl", "param chunk: i16;", "param chunk: i16;\nparam colors: i16;",
     "layout.csl:6: error: param 'colors' has no value"),
    ("layout.csl", '@import_module("<memcpy/get_params>"', '@import_module("<memcpy_multi/get_params>"',
     'layout.csl:1: error: no @import_module("<memcpy/get_params>"'),
    ("layout.csl", '@export_name("compress", fn() void)', '@export_name("compress", fn(i16) void)',
     "layout.csl:26: error: 'compress' is exported as fn(i16)void; the host harness transfers it as fn()void"),
    ("layout.csl", '"pe.csl"', '"kernel.csl"', "layout.csl:17: error: @set_tile_code places 'kernel.csl'"),
    ("pe.csl", 'const timestamp = @import_module("<time>");', "const timestamp = 0;",
     "pe.csl:1: warning: no @import_module(\"<time>\")"),
]


@pytest.mark.parametrize("file,old,new,expected", BAD, ids=[b[3].split(": ", 2)[2][:40] for b in BAD])
def test_common_mistakes_are_found_and_located(file, old, new, expected):
    """Each broken variant of the good sample yields the expected located finding."""
    findings = check_sources(_edited(file, old, new), PARAMS, LIMIT)
    text = format_findings(findings)
    assert expected in text, text
    assert has_errors(findings) == (": error:" in expected)


def test_launch_binding_is_an_error_on_wse3_and_a_warning_on_wse2():
    """The pre-1.1 @rpc launch binding blocks a wse3 compile; on wse2 it is only flagged."""
    sources = _edited("pe.csl", "  @export_symbol(compress);\n",
                      "  @export_symbol(compress);\n  @rpc(@get_data_task_id(sys_mod.LAUNCH));\n")
    assert has_errors(check_sources(sources, PARAMS, LIMIT, "wse3"))
    wse2 = check_sources(sources, PARAMS, LIMIT, "wse2")
    assert not has_errors(wse2) and "warning: delete @rpc(" in format_findings(wse2)


def test_read_only_export_through_a_var_pointer_is_flagged():
    """The SDK 1.1+ examples pair a read-only export with a `const` pointer; `var` is a warning."""
    sources = _edited("layout.csl", '@export_name("tsc", [*]u16, true)', '@export_name("tsc", [*]u16, false)')
    text = format_findings(check_sources(sources, PARAMS, LIMIT))
    assert "warning: 'stamps_ptr' is declared `var` but exported as 'tsc', which the host only reads" in text


def test_memory_over_the_per_pe_limit_names_the_largest_arrays():
    """A chunking whose buffers exceed the PE's data memory is an error listing the biggest arrays."""
    params = host_params(2, 2, 8192, cap_words("szp", {"mode": "plain"}, 8192))
    text = format_findings(check_sources(_sources(GOOD), params, LIMIT))
    assert "pe.csl:12: error: arrays need about 89" in text and "x_buf 32768 B (line 12)" in text


def test_missing_layout_and_unknown_tile_fields():
    """No layout.csl is one clear error; a field the PE does not declare is a warning."""
    assert "layout.csl is missing" in format_findings(check_sources({"pe.csl": ""}, PARAMS, LIMIT))
    sources = _edited("layout.csl", ".block = 32 ", ".block = 32, .blocks = 64 ")
    assert "warning: @set_tile_code passes .blocks, but pe.csl declares no `param blocks`" in format_findings(
        check_sources(sources, PARAMS, LIMIT))


def test_scanner_ignores_comments_and_evaluates_sizes():
    """Commented-out declarations are not seen; sizes evaluate through consts, params and @as."""
    source = CslSource("pe.csl", "// param ghost: i16;\n/* var big: [9999]f32; */\nparam n: i16;\nconst k = n / 4;\n"
                       "var a: [k, 2]u16;\n")
    assert set(source.params()) == {"n"} and set(source.arrays()) == {"a"}
    assert source.arrays()["a"].dims == ("k", "2") and source.arrays()["a"].line == 5
    assert evaluate("k * 2 + @as(i16, 3)", {**source.consts(), "n": 64}) == 35
    assert evaluate("unknown + 1", {}) is None
    assert struct_fields('.{ .a = f(1, 2), .b = .{ .c = 3 } }') == {"a": "f(1, 2)", "b": ".{ .c = 3 }"}


def test_readme_documents_every_host_symbol():
    """cerebras/README.md lists each symbol the harness uses with the type the checks require."""
    readme = (SKELETON.parent / "README.md").read_text()
    for symbol in HOST_SYMBOLS:
        assert f"| `{symbol.name}`" in readme and f"`{symbol.export_type}`" in readme, symbol.name
    for param in HOST_PARAMS:
        assert f"param {param}: i16;" in (SKELETON / "layout.csl").read_text()
