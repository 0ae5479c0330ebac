"""Fake `cs_python`: a Python interpreter with the fake SDK runtime, inside a fake container.

Like the SDK's cs_python it is invoked as `cs_python script.py [args]` and runs the script as
__main__ with the script's folder first on sys.path. Like the real one, which runs the script in
the SDK's container, it sees only its working folder and /tmp (and the "image": the interpreter
and the code on its path): opening anything else fails with FileNotFoundError. Two variables
shape what it sees:
  SZAGENTS_FAKE_SDK_TMP      the host folder that plays /tmp (tests name a private one, since
                             pytest's own tmp_path lies inside the real /tmp); default /tmp
  SZAGENTS_FAKE_SDK_VISIBLE  os.pathsep-separated folders (the fake singularity's binds); when
                             set, they replace the working folder
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

FAKES = Path(__file__).resolve().parent
_SYSTEM = ("/dev", "/proc", "/sys")


def visible_roots() -> list[str]:
    """Folders the container shows: binds (or the working folder), /tmp, the image."""
    binds = os.environ.get("SZAGENTS_FAKE_SDK_VISIBLE")
    roots = binds.split(os.pathsep) if binds else [os.getcwd()]
    roots.append(os.environ.get("SZAGENTS_FAKE_SDK_TMP", "/tmp"))
    image = [sys.prefix, sys.base_prefix, sys.exec_prefix, *(p for p in sys.path if p), str(FAKES), *_SYSTEM]
    return [os.path.realpath(r) for r in [*roots, *image]]


def confine(roots: list[str]) -> None:
    """From now on, opening or listing a path outside roots fails as if it did not exist."""

    def guard(event: str, args: tuple) -> None:
        if event not in ("open", "os.listdir", "os.scandir") or not args or not isinstance(args[0], (str, bytes,
                                                                                                        os.PathLike)):
            return
        path = os.path.realpath(os.fsdecode(args[0]))
        if not any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots):
            raise FileNotFoundError(2, "No such file or directory (not visible inside the SDK container)", path)

    sys.addaudithook(guard)


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit("usage: cs_python script.py [args...]")
    script = Path(sys.argv[1])
    sys.path[:0] = [str(FAKES / "sdk"), str(FAKES)]
    roots = visible_roots()
    sys.path.insert(0, str(script.resolve().parent))
    sys.argv = [str(script), *sys.argv[2:]]
    confine(roots)
    runpy.run_path(str(script), run_name="__main__")


if __name__ == "__main__":
    main()
