"""make test's `--dist loadgroup` really keeps an xdist_group on one worker (pyproject.toml pins pytest for it).

Modules whose module fixtures are costly (a headless Chromium, a report, a study's real runs) mark their tests
with one xdist_group so the fixture is made once per test run; on pytest 9.2 the grouping was silently dropped
(pytest-xdist#1386) and each worker made it again.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # two xdist workers start: about 3 s

GROUPED = '''
import pytest

pytestmark = pytest.mark.xdist_group("one")


@pytest.mark.parametrize("i", range(8))
def test_grouped(i):
    pass
'''


def test_an_xdist_group_runs_on_one_worker(tmp_path):
    (tmp_path / "test_grouped.py").write_text(GROUPED)
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadgroup",
                           "-v", "-c", "/dev/null", "--rootdir", str(tmp_path), str(tmp_path / "test_grouped.py")],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    workers = re.findall(r"\[(gw\d+)\].*PASSED", done.stdout)
    assert done.returncode == 0 and len(workers) == 8, done.stdout[-2000:]
    assert len(set(workers)) == 1, f"the group ran on {sorted(set(workers))}: --dist loadgroup ignored xdist_group"
