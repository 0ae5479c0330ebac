"""cslc diagnostics: parsed to file:line:col for the agent, with build-folder paths removed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Diagnostic", "parse_diagnostics", "relativize", "describe_failure", "appliance_compiler_output"]

# cslc reports `<file>:<line>:<column>: error: <message>` (the shape of the Zig-derived front end);
# the column is optional here so that `file:line: error:` forms parse too.
_DIAGNOSTIC = re.compile(
    r"^(?P<file>[^\s:][^:\n]*?\.csl):(?P<line>\d+)(?::(?P<column>\d+))?:\s*"
    r"(?P<severity>error|warning|note):\s*(?P<message>.*)$",
    re.MULTILINE,
)


# An absolute folder in front of a .csl file name (the appliance compiles in a worker's folder).
_FOLDERS = re.compile(r"(?<![\w.])/(?:[^\s:/]+/)+(?=[^\s:/]+\.csl:)")
# cerebras-sdk's SdkCompiler logs `<asctime> INFO     CSL compiler output:` and then the compiler's
# output indented by one tab (client 2.9.0 and 2.10.0), on stderr.
_LOGGED_OUTPUT = re.compile(r"CSL compiler output:[ \t]*\n((?:\t.*(?:\n|$))*)")


@dataclass(frozen=True)
class Diagnostic:
    """One compiler message located in a source file."""

    file: str
    line: int
    column: int | None
    severity: str
    message: str

    def __str__(self) -> str:
        column = f":{self.column}" if self.column is not None else ""
        return f"{self.file}:{self.line}{column}: {self.severity}: {self.message}"


def parse_diagnostics(log: str) -> list[Diagnostic]:
    """Every file:line[:col]: error|warning|note: message line of a compiler log."""
    return [
        Diagnostic(Path(m["file"]).name if "/" in m["file"] else m["file"], int(m["line"]),
                   int(m["column"]) if m["column"] else None, m["severity"], m["message"].strip())
        for m in _DIAGNOSTIC.finditer(log)
    ]


def relativize(log: str, *folders: Path) -> str:
    """log with the build folders' absolute paths removed, so files read as layout.csl, pe.csl."""
    for folder in folders:
        for prefix in {str(folder), str(Path(folder).resolve())}:
            log = log.replace(prefix.rstrip("/") + "/", "")
    return _FOLDERS.sub("", log)


def appliance_compiler_output(stderr: str) -> str:
    """The compiler's own output from SdkCompiler's log lines on stderr, un-indented; stderr if none."""
    blocks = [m.group(1) for m in _LOGGED_OUTPUT.finditer(stderr)]
    if not blocks:
        return stderr
    return "".join(line[1:] + "\n" for block in blocks for line in block.splitlines()).rstrip("\n")


def describe_failure(log: str) -> str:
    """A first line for a failed compile: where the first error is, or that none was located."""
    errors = [d for d in parse_diagnostics(log) if d.severity == "error"]
    if not errors:
        return "cslc failed without a located error; see its output below"
    more = f" ({len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"first error at {errors[0].file}:{errors[0].line}{more}: {errors[0].message}"
