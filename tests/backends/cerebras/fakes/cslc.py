"""Fake `cslc`: the real compiler's command line and output shapes, no real compilation.

It accepts cslc's documented flags, opens the top-level file and every file it places with
@set_tile_code, and fails like the compiler (`<path>:<line>:<col>: error: <message>`, the source
line and a caret, exit status 1) on a `FAKE_COMPILE_ERROR: <message>` marker, a missing placed
file, a layout param with no value, a program rectangle that does not fit the fabric, or, for
--arch=wse3, an `@rpc(@get_data_task_id(sys_mod.LAUNCH))` launch binding (the SDK 1.1.0 examples
dropped it and WSE-3 reportedly rejects it; the real message is not known, so this one says so). On
success it writes the output folder: out.json with the params (what host code reads back) and
fake_program.json, which tells the fake runtime what the "program" does.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

BEHAVIOUR = re.compile(r"FAKE_BEHAVIOUR:\s*(\w+)")
CODEC = re.compile(r"FAKE_CODEC:\s*(\w+)(?:\s+(\w+))?")
ERROR = re.compile(r"FAKE_COMPILE_ERROR:\s*(.+)")
EXPORT = re.compile(r'@export_name\(\s*"(\w+)"\s*,\s*(fn\(\)\s*void|\[\*\]\s*\w+)\s*(?:,\s*(true|false))?\s*\)')
PARAM = re.compile(r"^\s*param\s+(\w+)\s*(?::[^=;]*)?(=)?", re.MULTILINE)
TILE = re.compile(r'@set_tile_code\([^"]*"([^"]+)"')
LAUNCH_RPC = re.compile(r"@rpc\s*\(\s*@get_data_task_id\s*\(\s*\w+\.LAUNCH")
VERSION = "cslc 1.4.0 (szagents fake)"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cslc", add_help=True)
    p.add_argument("file")
    p.add_argument("-o", dest="output", default="out")
    p.add_argument("--arch", default="wse2", choices=["wse2", "wse3"])
    p.add_argument("--fabric-dims")
    p.add_argument("--fabric-offsets")
    p.add_argument("--params", action="append", default=[])
    p.add_argument("--colors", action="append", default=[])
    p.add_argument("--memcpy", action="store_true")
    p.add_argument("--channels", type=int, default=1)
    p.add_argument("--width-west-buf", type=int, default=0)
    p.add_argument("--width-east-buf", type=int, default=0)
    p.add_argument("--import-path", action="append", default=[])
    p.add_argument("--output-json", nargs="?", const="")
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--version", action="version", version=VERSION)
    return p


def error(path: Path, text: str, line: int, column: int, message: str) -> str:
    source = text.splitlines()[line - 1] if text else ""
    return f"{path.resolve()}:{line}:{column}: error: {message}\n{source}\n{' ' * (column - 1)}^\n"


def find_errors(files: dict[Path, str], params: dict[str, int], arch: str) -> str:
    out = ""
    for path, text in files.items():
        for number, line in enumerate(text.splitlines(), 1):
            match = ERROR.search(line)
            if match:
                out += error(path, text, number, match.start() + 1, match.group(1).strip())
            launch = LAUNCH_RPC.search(line.split("//")[0])
            if launch and arch == "wse3":
                out += error(path, text, number, launch.start() + 1, "(fake cslc) @rpc launch binding is not "
                             "accepted for wse3: the memcpy module serves launches itself")
    top = next(iter(files))
    for match in PARAM.finditer(files[top]):
        if match.group(2) is None and match.group(1) not in params:
            line = files[top].count("\n", 0, match.start(1)) + 1
            out += error(top, files[top], line, 1, f"param '{match.group(1)}' is not initialized")
    return out


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    output = args.output.lstrip("=")
    params = {k: int(v) for item in args.params for k, v in (pair.split(":") for pair in item.split(","))}
    top = Path(args.file)
    if not top.is_file():
        sys.stderr.write(f"error: unable to open '{args.file}'\n")
        return 1
    files = {top: top.read_text()}
    for number, line in enumerate(files[top].splitlines(), 1):
        for name in TILE.findall(line):
            placed = top.parent / name
            if not placed.is_file():
                sys.stderr.write(error(top, files[top], number, line.index(name) + 1, f"unable to open file '{name}'"))
                return 1
            files.setdefault(placed, placed.read_text())
    problems = find_errors(files, params, args.arch)
    if args.fabric_dims and "width" in params:
        fw, fh = map(int, args.fabric_dims.split(","))
        ox, oy = map(int, (args.fabric_offsets or "0,0").split(","))
        if ox + params["width"] + 3 > fw or oy + params["height"] + 1 > fh:
            problems += (f"error: program rectangle {params['width']}x{params['height']} at {ox},{oy} does not fit "
                         f"the {fw}x{fh} fabric with memcpy\n")
    if problems:
        sys.stderr.write(problems)
        sys.stderr.write(f"{problems.count('error:')} error(s) generated.\n")
        return 1
    write_output(Path(output), top, files, params, args)
    return 0


def write_output(out: Path, top: Path, files: dict[Path, str], params: dict[str, int],
                 args: argparse.Namespace) -> None:
    (out / "bin").mkdir(parents=True, exist_ok=True)
    text = "\n".join(files.values())
    behaviour = BEHAVIOUR.search(text)
    codec = CODEC.search(text)
    exports = {m.group(1): {"type": "".join(m.group(2).split()), "mutable": m.group(3) == "true"}
               for m in EXPORT.finditer(files[top])}
    (out / "out.json").write_text(json.dumps({"params": {k: str(v) for k, v in params.items()}}))
    program = {"behaviour": behaviour.group(1) if behaviour else "ok", "arch": args.arch,
               "codec": codec.group(1) if codec else "szp", "mode": (codec.group(2) if codec else None) or "plain",
               "params": params, "exports": exports}
    (out / "fake_program.json").write_text(json.dumps(program))
    for x in range(params.get("width", 1)):
        for y in range(params.get("height", 1)):
            (out / "bin" / f"out_{x}_{y}.elf").write_bytes(b"\x7fELF")


if __name__ == "__main__":
    sys.exit(main())
