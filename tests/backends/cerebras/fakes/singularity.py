"""Fake `singularity exec [--bind DIR]... IMAGE COMMAND ARGS...` over an SDK image.

The image holds the SDK's tools as they are inside it: `cslc`, and `python` with the SDK runtime
importable. `cs_python` is not in the image (it is the host-side wrapper that starts the
container), so asking for it fails as singularity does for a missing executable. Inside, only
the bound folders, the working folder and /tmp are visible (see cs_python.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

FAKES = Path(__file__).resolve().parent
IMAGE_TOOLS = {"cslc": FAKES / "cslc.py", "python": FAKES / "cs_python.py"}


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "exec":
        sys.stderr.write("usage: singularity exec [--bind DIR] IMAGE COMMAND\n")
        return 2
    argv, binds = argv[1:], []
    while argv and argv[0] == "--bind":
        if len(argv) < 2 or not Path(argv[1]).is_dir():
            sys.stderr.write(f"FATAL: bind source {argv[1:2]} does not exist\n")
            return 255
        binds.append(argv[1])
        argv = argv[2:]
    if not argv or not Path(argv[0]).is_file():
        sys.stderr.write(f"FATAL: could not open image {argv[:1]}\n")
        return 255
    if len(argv) < 2 or argv[1] not in IMAGE_TOOLS:
        tool = argv[1] if len(argv) > 1 else ""
        sys.stderr.write(f'FATAL: "{tool}": executable file not found in $PATH\n')
        return 255
    os.environ["SZAGENTS_FAKE_SDK_VISIBLE"] = os.pathsep.join([*binds, os.getcwd()])
    os.execv(sys.executable, [sys.executable, str(IMAGE_TOOLS[argv[1]]), *argv[2:]])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
