"""Fake `cs_python`: a Python interpreter whose sys.path has the fake SDK runtime.

Like the SDK's cs_python it is invoked as `cs_python script.py [args]` and runs the script as
__main__ with the script's folder first on sys.path.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

FAKES = Path(__file__).resolve().parent


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit("usage: cs_python script.py [args...]")
    script = Path(sys.argv[1])
    sys.path[:0] = [str(script.resolve().parent), str(FAKES / "sdk"), str(FAKES)]
    sys.argv = [str(script), *sys.argv[2:]]
    runpy.run_path(str(script), run_name="__main__")


if __name__ == "__main__":
    main()
