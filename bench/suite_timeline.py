"""When each test ran, on which pytest-xdist worker, and with how much CPU: a pytest plugin and its summary.

As a plugin it appends one JSON line per test (node id, start and end, the worker's own CPU seconds and those of the
children it reaped during the test) to <folder>/<worker>-<pid>.jsonl. The summary reads a folder back: per worker
its first start, last end and busy time; the units that ran first on each worker (what the workers begin by waiting
on); per top folder the tests' wall and CPU; the slowest tests. Children's CPU lands on the test that reaped them.

    SZAGENTS_TIMELINE=/tmp/tl PYTHONPATH=bench make test PYTEST=".venv/bin/python -m pytest -p suite_timeline"
    python bench/suite_timeline.py /tmp/tl
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest

_FOLDER_VAR = "SZAGENTS_TIMELINE"
_out: Any = None


def _sink() -> Any:
    global _out
    if _out is None:
        folder = Path(os.environ.get(_FOLDER_VAR) or "/tmp/szagents-timeline")
        folder.mkdir(parents=True, exist_ok=True)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        _out = open(folder / f"{worker}-{os.getpid()}.jsonl", "a", buffering=1)  # noqa: SIM115 - lives with the process
    return _out


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    t0, c0 = time.time(), os.times()
    yield
    c1 = os.times()
    _sink().write(json.dumps({"id": item.nodeid, "t0": t0, "t1": time.time(),
                              "cpu_self": c1.user - c0.user + c1.system - c0.system,
                              "cpu_children": c1.children_user - c0.children_user
                              + c1.children_system - c0.children_system}) + "\n")


def load(folder: Path) -> list[dict]:
    rows = []
    for path in sorted(folder.glob("*.jsonl")):
        worker = path.stem.rsplit("-", 1)[0]
        rows += [json.loads(line) | {"worker": worker} for line in path.read_text().splitlines() if line.strip()]
    return rows


def summary(rows: list[dict], first: int = 3, slowest: int = 10) -> str:
    if not rows:
        return "no tests recorded"
    origin = min(r["t0"] for r in rows)
    lines = []
    by_worker: dict[str, list[dict]] = collections.defaultdict(list)
    for r in rows:
        by_worker[r["worker"]].append(r)
    for worker, mine in sorted(by_worker.items()):
        mine.sort(key=lambda r: r["t0"])
        busy = sum(r["t1"] - r["t0"] for r in mine)
        lines.append(f"{worker}: {len(mine)} tests, {mine[0]['t0'] - origin:.0f}-{mine[-1]['t1'] - origin:.0f} s, "
                     f"busy {busy:.0f} s; first: " + ", ".join(f"{r['id']} ({r['t1'] - r['t0']:.1f} s)"
                                                              for r in mine[:first]))
    folders: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0, 0.0])
    for r in rows:
        top = "/".join(r["id"].split("::")[0].split("/")[:2])
        folders[top][0] += 1
        folders[top][1] += r["t1"] - r["t0"]
        folders[top][2] += r["cpu_self"] + r["cpu_children"]
    lines.append("per folder (tests, wall s, CPU s):")
    lines += [f"  {top}: {n}, {wall:.0f}, {cpu:.0f}" for top, (n, wall, cpu) in
              sorted(folders.items(), key=lambda kv: -kv[1][1])]
    lines.append(f"slowest {slowest}:")
    lines += [f"  {r['t1'] - r['t0']:.1f} s ({r['cpu_self']:.1f} + {r['cpu_children']:.1f} CPU-s) {r['id']}"
              for r in sorted(rows, key=lambda r: r["t0"] - r["t1"])[:slowest]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    print(summary(load(args.folder)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
