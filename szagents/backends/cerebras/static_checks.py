"""Static pre-checks of an agent's CSL, run before a compile is spent; no SDK needed.

They look for the causes of most failed CSL translations: params that layout.csl and the PE
program disagree on, symbols the host harness needs but the program does not export, per-PE
memory over the limit for the chosen chunking, and buffers too small for what the host copies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from szagents.backends.cerebras.conventions import ELEMENT_BYTES, HOST_SYMBOLS, LAUNCH_RPC, LAYOUT_FILE, PE_FILE
from szagents.backends.cerebras.csl_source import Call, CslSource, evaluate, struct_fields

__all__ = ["Finding", "check_sources", "format_findings", "has_errors"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One problem found in a source file, at a line, worded so an agent can fix it."""

    file: str
    line: int
    severity: Severity
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.severity}: {self.message}"


def has_errors(findings: list[Finding]) -> bool:
    """True when any finding is an error (a compile would fail or the run could not work)."""
    return any(f.severity == "error" for f in findings)


def format_findings(findings: list[Finding]) -> str:
    """One line per finding, errors first, in compiler-diagnostic form."""
    order = sorted(findings, key=lambda f: (f.severity != "error", f.file, f.line))
    return "\n".join(str(f) for f in order)


def check_sources(sources: Mapping[str, str], params: Mapping[str, int], memory_limit_bytes: int,
                  arch: str = "wse3") -> list[Finding]:
    """Findings for layout.csl and the PE programs it places, given the host's --params and the target arch."""
    if LAYOUT_FILE not in sources:
        return [Finding(LAYOUT_FILE, 1, "error", f"{LAYOUT_FILE} is missing: it is the top-level file cslc compiles")]
    layout = CslSource(LAYOUT_FILE, sources[LAYOUT_FILE])
    env: dict[str, object] = {**layout.consts(), **params}
    findings = [*_layout_params(layout, params), *_layout_infrastructure(layout), *_rectangle(layout, env, params),
                *_layout_exports(layout)]
    tiles = layout.calls("set_tile_code")
    if not tiles:
        findings.append(Finding(LAYOUT_FILE, 1, "error", f"no @set_tile_code: no PE runs a program; place {PE_FILE} "
                                "on every PE of the rectangle"))
    for tile in tiles:
        name = tile.args[2].strip('"') if len(tile.args) > 2 else ""
        if name not in sources:
            findings.append(Finding(LAYOUT_FILE, tile.line, "error", f"@set_tile_code places {name or '?'!r}, which is "
                                    f"not among the sources ({', '.join(sorted(sources))})"))
            continue
        program = CslSource(name, sources[name])
        fields = struct_fields(tile.args[3]) if len(tile.args) > 3 else {}
        bound = {name: evaluate(expr, env) for name, expr in fields.items()}
        pe_env = {**program.consts(), **{k: v for k, v in bound.items() if v is not None}}
        findings += _tile_params(tile, fields, program)
        findings += _pe_infrastructure(program, arch)
        findings += _pe_exports(program)
        findings += _pointer_mutability(program, layout)
        findings += _shapes(program, pe_env, params)
        findings += _memory(program, pe_env, memory_limit_bytes)
    return sorted(set(findings), key=lambda f: (f.file, f.line, f.message))


def _layout_params(layout: CslSource, params: Mapping[str, int]) -> list[Finding]:
    declared = layout.params()
    found = []
    for name, value in params.items():
        if name not in declared:
            found.append(Finding(LAYOUT_FILE, 1, "warning", f"no `param {name}`: the backend compiles with "
                                 f"--params {name}:{value}; declare `param {name}: i16;` and size buffers from it"))
    for name, (line, has_default) in declared.items():
        if name not in params and not has_default:
            found.append(Finding(LAYOUT_FILE, line, "error", f"param {name!r} has no value: the backend passes only "
                                 f"--params {','.join(params)}; give it a default or derive it from those"))
    return found


def _layout_infrastructure(layout: CslSource) -> list[Finding]:
    if "<memcpy/get_params>" in layout.imports():
        return []
    return [Finding(LAYOUT_FILE, 1, "error", 'no @import_module("<memcpy/get_params>", .{ .width = width, .height = '
                    "height }): without the memcpy infrastructure the host can neither copy data nor launch functions")]


def _rectangle(layout: CslSource, env: Mapping[str, object], params: Mapping[str, int]) -> list[Finding]:
    calls = layout.calls("set_rectangle")
    if not calls:
        return [Finding(LAYOUT_FILE, 1, "error", "no @set_rectangle(width, height) in the layout block")]
    call = calls[0]
    size = tuple(evaluate(a, env) for a in call.args[:2])
    expected = (params.get("width"), params.get("height"))
    if None not in size and None not in expected and size != expected:
        return [Finding(LAYOUT_FILE, call.line, "error", f"@set_rectangle gives {size[0]}x{size[1]} PEs but the host "
                        f"copies to a {expected[0]}x{expected[1]} rectangle; use @set_rectangle(width, height)")]
    return []


def _layout_exports(layout: CslSource) -> list[Finding]:
    exports = {c.args[0].strip('"'): c for c in layout.calls("export_name") if c.args}
    found = []
    for symbol in HOST_SYMBOLS:
        call = exports.get(symbol.name)
        if call is None:
            found.append(Finding(LAYOUT_FILE, 1, "error", f'the host harness needs @export_name("{symbol.name}", '
                                 f'{symbol.export_type}{", true" if symbol.host_writes else ""}) in the layout block'))
            continue
        declared = "".join(call.args[1].split()) if len(call.args) > 1 else ""
        if declared != symbol.export_type:
            found.append(Finding(LAYOUT_FILE, call.line, "error", f"{symbol.name!r} is exported as {declared or '?'}; "
                                 f"the host harness transfers it as {symbol.export_type}"))
        elif symbol.host_writes and (len(call.args) < 3 or call.args[2] != "true"):
            found.append(Finding(LAYOUT_FILE, call.line, "error", f"the host writes {symbol.name!r}: export it "
                                 f'mutable, @export_name("{symbol.name}", {symbol.export_type}, true)'))
    return found


def _tile_params(tile: Call, fields: Mapping[str, str], program: CslSource) -> list[Finding]:
    found = []
    for name, (line, has_default) in program.params().items():
        if name not in fields and not has_default:
            found.append(Finding(program.name, line, "error", f"param {name!r} gets no value: add `.{name} = ...` to "
                                 f"the @set_tile_code struct of {LAYOUT_FILE} (line {tile.line})"))
    declared = program.params()
    for name in fields:
        if name not in declared:
            found.append(Finding(LAYOUT_FILE, tile.line, "warning", f"@set_tile_code passes .{name}, but "
                                 f"{program.name} declares no `param {name}`"))
    return found


def _pe_infrastructure(program: CslSource, arch: str) -> list[Finding]:
    found = []
    if "<memcpy/memcpy>" not in program.imports():
        found.append(Finding(program.name, 1, "error", 'no @import_module("<memcpy/memcpy>", memcpy_params): the '
                             "PE cannot take part in host transfers or launches"))
    for call in program.calls("rpc"):
        if "LAUNCH" in " ".join(call.args):
            # SDK 1.1.0 dropped the binding from every example; WSE-3 reportedly does not accept it.
            severity = "error" if arch == "wse3" else "warning"
            found.append(Finding(program.name, call.line, severity, f"delete {LAUNCH_RPC}: since SDK 1.1.0 the "
                                 "memcpy module serves host launches itself, and WSE-3 does not accept the binding"))
    if not program.mentions("unblock_cmd_stream"):
        found.append(Finding(program.name, 1, "error", "sys_mod.unblock_cmd_stream() is never called: the first "
                             "launch never returns to the host (the run stalls)"))
    if "<time>" not in program.imports():
        found.append(Finding(program.name, 1, "warning", 'no @import_module("<time>"): the harness reads the '
                             "timestamps in 'tsc'; without them the run reports zero execution time"))
    return found


def _pe_exports(program: CslSource) -> list[Finding]:
    exported = _exported(program)
    return [
        Finding(program.name, 1, "error", f"{symbol.name!r} is exported in the layout but not by the PE program: "
                + (f"add @export_symbol({symbol.name}); in a comptime block" if symbol.element is None
                   else f'add @export_symbol(<pointer to the array>, "{symbol.name}"); in a comptime block'))
        for symbol in HOST_SYMBOLS if symbol.name not in exported
    ]


def _pointer_mutability(program: CslSource, layout: CslSource) -> list[Finding]:
    """A read-only export through a `var` pointer, or a host-written one through `const` (SDK 1.1+ examples)."""
    mutable = {c.args[0].strip('"'): len(c.args) > 2 and c.args[2] == "true"
               for c in layout.calls("export_name") if c.args}
    kinds, found = program.pointer_kinds(), []
    for name, target in _exported(program).items():
        if name not in mutable or target not in kinds:
            continue
        kind, line = kinds[target]
        wanted = "var" if mutable[name] else "const"
        if kind != wanted:
            how = "writes" if mutable[name] else "only reads"
            found.append(Finding(program.name, line, "warning", f"{target!r} is declared `{kind}` but exported as "
                                 f"{name!r}, which the host {how}: declare it `{wanted} {target}`"))
    return found


def _exported(program: CslSource) -> dict[str, str]:
    """Exported name -> the pointer, array or function it names."""
    names = {}
    for call in program.calls("export_symbol"):
        if call.args:
            names[call.args[1].strip('"') if len(call.args) > 1 else call.args[0]] = call.args[0]
    return names


def _shapes(program: CslSource, env: Mapping[str, object], params: Mapping[str, int]) -> list[Finding]:
    exported, arrays, pointers = _exported(program), program.arrays(), program.pointers()
    found = []
    for symbol in HOST_SYMBOLS:
        if symbol.element is None or symbol.name not in exported:
            continue
        target = exported[symbol.name].lstrip("&").strip()
        decl = arrays.get(pointers.get(target, target))
        if decl is None:
            continue  # the scanner cannot see the array behind it; the compiler will judge
        if decl.element != symbol.element:
            found.append(Finding(program.name, decl.line, "error", f"{decl.name!r} (exported as {symbol.name!r}) holds "
                                 f"{decl.element}, but the host transfers {symbol.element}"))
            continue
        length, needed = _length(decl.dims, env), evaluate(symbol.length, params)
        if length is not None and needed is not None and length < needed:
            found.append(Finding(program.name, decl.line, "error", f"the host copies {needed} {symbol.element} per PE "
                                 f"({symbol.length}) to {symbol.name!r}, but {decl.name!r} holds {length}"))
    return found


def _length(dims: tuple[str, ...], env: Mapping[str, object]) -> int | None:
    values = [evaluate(d, env) for d in dims]
    return None if None in values else math.prod(v for v in values if v is not None)


def _memory(program: CslSource, env: Mapping[str, object], limit: int) -> list[Finding]:
    sizes, unknown = [], []
    for decl in program.arrays().values():
        length, width = _length(decl.dims, env), ELEMENT_BYTES.get(decl.element)
        if length is None or width is None:
            unknown.append(decl.name)
        else:
            sizes.append((length * width, decl))
    total = sum(size for size, _ in sizes)
    if total <= limit:
        return []
    biggest = ", ".join(f"{d.name} {size} B (line {d.line})" for size, d in sorted(sizes, key=lambda s: -s[0])[:3])
    note = f"; not counted: {', '.join(unknown)}" if unknown else ""
    line = max(sizes, key=lambda s: s[0])[1].line
    return [Finding(program.name, line, "error", f"arrays need about {total} bytes per PE, over the {limit} bytes "
                    f"a PE has for data (its SRAM less a reserve for code and runtime); largest: {biggest}{note}. "
                    "Process fewer values at a time or reuse buffers")]
