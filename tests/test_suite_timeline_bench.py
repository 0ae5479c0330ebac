"""bench/suite_timeline.py: the plugin records every test of a real pytest run, and the summary reads them back."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.bench_scripts import BENCH, load_bench

timeline = load_bench("suite_timeline")


def test_a_pytest_run_with_the_plugin_is_summarized(tmp_path):
    tests = tmp_path / "suite" / "test_two.py"
    tests.parent.mkdir()
    tests.write_text("import subprocess, sys, time\n\ndef test_fast():\n    pass\n\n\ndef test_slow():\n"
                     "    time.sleep(0.2)\n\n\ndef test_child():\n"
                     "    subprocess.run([sys.executable, '-c', 'sum(range(3 * 10**6))'], check=True)\n")
    env = {**os.environ, "PYTHONPATH": f"{BENCH}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "SZAGENTS_TIMELINE": str(tmp_path / "tl")}
    env.pop("PYTEST_XDIST_WORKER", None)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "suite_timeline", "-p", "no:cacheprovider",
                           "--rootdir", str(tests.parent), str(tests)], capture_output=True, text=True, env=env,
                          cwd=tests.parent, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = timeline.load(tmp_path / "tl")
    assert sorted(r["id"].split("::")[-1] for r in rows) == ["test_child", "test_fast", "test_slow"]
    assert {r["worker"] for r in rows} == {"main"}
    slow = next(r for r in rows if r["id"].endswith("test_slow"))
    assert slow["t1"] - slow["t0"] >= 0.2
    child = next(r for r in rows if r["id"].endswith("test_child"))
    assert child["cpu_children"] > 0 and slow["cpu_children"] == 0  # a reaped child's CPU lands on its own test
    text = timeline.summary(rows)
    assert text.startswith("main: 3 tests") and "slowest 10:" in text
    ranked = text.split("slowest 10:")[1]
    assert ranked.index("test_slow") < ranked.index("test_fast")  # the slowest listed first
