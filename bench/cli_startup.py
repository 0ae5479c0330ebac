"""Median wall time of 5 runs of `szagents --help` and `szagents --version` (the CLI's start-up cost).

Usage: .venv/bin/python bench/cli_startup.py [path/to/szagents]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path


def median_seconds(command: list[str], runs: int = 5) -> float:
    """Median wall time of command over runs (output discarded)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    exe = sys.argv[1] if len(sys.argv) > 1 else str(Path(sys.executable).with_name("szagents"))
    for flag in ("--help", "--version"):
        print(f"szagents {flag:9s} median of 5: {median_seconds([exe, flag]):.3f} s")


if __name__ == "__main__":
    main()
