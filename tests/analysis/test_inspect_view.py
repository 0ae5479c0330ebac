"""An exported run in Inspect's own viewer (`inspect view`, driven by a headless Chromium): the run's tool calls
are on the page, with their arguments and results."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

if importlib.util.find_spec("inspect_ai") is None:
    pytest.skip("the inspect extra is not installed (pip install 'szagents[inspect]')", allow_module_level=True)

from szagents.roles.team import Team  # noqa: E402
from szagents.run import RunConfig, start_run  # noqa: E402
from szagents.tasks.task import Budgets  # noqa: E402
from szagents.trajectory import read_run  # noqa: E402
from tests.analysis.test_browser import browser  # noqa: E402, F401 - the headless Chromium fixture

pytestmark = pytest.mark.slow  # a real run exported and opened in `inspect view` in a headless Chromium: 7 s

DEADLINE_S = 120.0  # generous: the viewer and the page load on a busy 2-core machine


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(check, what: str) -> None:
    """Poll check() until it is true, or fail naming what was awaited."""
    deadline = time.monotonic() + DEADLINE_S
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {DEADLINE_S:.0f} s waiting for {what}")
        time.sleep(0.2)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def viewer(tmp_path_factory) -> Iterator[tuple[str, Path, Path]]:
    """`inspect view` on loopback over the export of a scripted cpu run: (its URL, the log file, the run folder)."""
    if shutil.which("inspect", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("the inspect command is not installed beside this Python")
    root = tmp_path_factory.mktemp("view")
    start_run(RunConfig(task="szx-optimize-cpu", team=Team.single("scripted:demo"), tier="expert", runs_dir=root / "runs",
                        quick=True, run_id="viewed", budgets=Budgets(iterations=2)))
    from szagents.analysis.export import export_inspect  # inspect_ai: 1.3 CPU-s, for the worker that runs this only

    (log,) = export_inspect([root / "runs"], root / "logs").files
    port = _free_port()
    server = subprocess.Popen([str(Path(sys.executable).parent / "inspect"), "view", "start", "--log-dir",
                               str(root / "logs"), "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait(lambda: _answers(url) or server.poll() is not None, f"inspect view on {url}")
        assert server.poll() is None, "inspect view exited at start"
        yield url, log, root / "runs" / "viewed"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_viewer_shows_the_runs_tool_calls(browser, viewer):  # noqa: F811
    """The sample's messages list the tool calls the agent made (read_file on kernel.c) with their results."""
    url, log, run_dir = viewer
    call = next(e for e in read_run(run_dir) if e.event == "tool_call" and e.tool == "read_file")
    browser.get(f"{url}#/tasks/{log.name}")
    body = lambda: browser.find_element("tag name", "body").text  # noqa: E731
    _wait(lambda: browser.find_elements("id", "messages"), "the sample's Messages tab")
    assert "szx-optimize-cpu" in body() and "scripted/demo" in body()
    browser.find_element("id", "messages").click()
    _wait(lambda: 'path: "kernel.c", limit: 60' in body(), "the read_file call in the messages")
    text = body()
    assert call.args == {"path": "kernel.c", "limit": 60} and "read_file" in text
    assert call.output.splitlines()[0] in text  # what the tool answered, e.g. 'kernel.c: lines 1-60 of 332 (...)'

