"""CLI manners: bad values exit 2 with one line naming the value, no traceback; fast start; messages."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from szagents.paths import kernels_dir

ROOT = Path(__file__).parents[2]


def szagents(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "szagents.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, **kwargs)


SOURCE = str(kernels_dir() / "szx" / "serial.c")
BAD = [
    (("validate", SOURCE, "--kernel", "szx", "--rel=0"), "--rel"),
    (("validate", SOURCE, "--kernel", "szx", "--rel=-1e-3"), "--rel"),
    (("validate", SOURCE, "--kernel", "szx", "--rel=5"), "--rel"),
    (("validate", SOURCE, "--kernel", "szx", "--rel=nan"), "--rel"),
    (("validate", SOURCE, "--kernel", "szx", "--rel=inf"), "--rel"),
    (("validate", SOURCE, "--kernel", "szx", "--timeout=-1"), "--timeout"),
    (("run", "--task", "szx-optimize-cpu", "--model", "scripted:demo", "--tier", "bogus"), "bogus"),
    (("run", "--task", "szx-optimize-cpu", "--model", "scripted:demo", "--budget", "iterations=abc"), "abc"),
    (("run", "--task", "szx-optimize-cpu", "--model", "scripted:demo", "--budget", "iterations=1.5"), "iterations=1.5"),
    (("run", "--task", "szx-optimize-cpu", "--model", "scripted:demo", "--budget", "iteratons=5"),
     "unknown key 'iteratons' (did you mean 'iterations'?); keys: iterations, tokens, wall, wall_seconds"),
    (("run", "--task", "szx-optimize-cpu", "--model", "scripted:demo", "--team", "trio"), "trio"),
    (("run", "--task", "szx-optimize-cpu", "--model", "scripted:demo", "--api", "grpc"), "grpc"),
    (("run", "--task", "szx-optimize-cpu", "--model", "scripted:demo", "--strategy", '{"n": 2}'), "add --team best-of-n"),
    (("run", "--task", "szx-optimize-cpu", "--model", "scripted:demo", "--team", "evolve", "--strategy", "n=2"),
     "--strategy is not JSON"),
    (("run", "--task", "szx-optimize-cpu", "--model", "scripted:demo", "--team", "best-of-n", "--strategy", '{"n": 0}'),
     "--strategy n: Input should be greater than or equal to 1"),
    (("run", "--task", "szx-optimize-cpu", "--model", "scripted:demo", "--team", "evolve", "--strategy",
      '{"kind": "evolve"}'), "without 'kind'"),
    (("run", "--task", "szx-optimize-cpu", "--model", "scripted:demo", "--run-id", "../escape"),
     "error: run id '../escape' is not a folder name: use letters"),
    (("run", "--task", "szx-optimize-cpu", "--model", "bogus:x"), "bogus"),
    (("run", "--task", "no-such-task", "--model", "scripted:demo"), "no-such-task"),
    (("run", "--task", "szx-optimize-cpu", "--model", "scripted:demo", "--frobnicate"), "--frobnicate"),
]


@pytest.mark.slow  # a CLI process per bad value: 20 of about 1 s each
@pytest.mark.parametrize("args,named", BAD, ids=[" ".join(a[-2:]) for a, _ in BAD])
def test_bad_value_is_one_line_and_exit_2(args, named, tmp_path):
    """Each bad value: exit 2, one line on stderr naming the value, no traceback, no run folder."""
    done = szagents(*args, "--runs-dir", str(tmp_path)) if args[0] == "run" and "--frobnicate" not in args else szagents(*args)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1 and named in lines[0] and "Traceback" not in done.stdout + done.stderr
    assert "Value error" not in lines[0]  # pydantic's prefix is not ours to show
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_debug_shows_the_traceback():
    """--debug adds the traceback to the one-line message."""
    done = szagents("--debug", "run", "--task", "no-such-task", "--model", "scripted:demo")
    assert done.returncode == 2 and "Traceback" in done.stderr and done.stderr.strip().endswith("szx-translate-cuda")


def test_version_and_help_start_fast():
    """--version prints the package version; the app module (all --help needs) loads no LangChain, LangGraph
    or analysis stack. (Wall times depend on the machine: bench/cli_startup.py measures them.)"""
    from szagents import __version__

    assert szagents("--version").stdout.strip() == f"szagents {__version__}"
    assert szagents("--help").returncode == 0
    imported = subprocess.run([sys.executable, "-c", "import sys, szagents.cli.app; print(sorted(sys.modules))"],
                              capture_output=True, text=True, cwd=ROOT).stdout
    assert "langgraph" not in imported and "pandas" not in imported and "langchain_core" not in imported


@pytest.mark.parametrize("command", ["run", "report", "validate", "study", "mcp"])
def test_help_fits_80_columns_and_names_plain_types(command):
    """At 80 columns help wraps without cutting a word or example, and shows no Python types (<bool>, <list[Path]>)."""
    import os

    done = szagents(command, "--help", env={**os.environ, "COLUMNS": "80"})
    assert done.returncode == 0 and done.stdout.startswith(f"Usage: szagents {command} ")
    assert all(len(line) <= 80 for line in done.stdout.splitlines()), done.stdout
    assert "…" not in done.stdout and "<bool>" not in done.stdout and "list[" not in done.stdout
    assert "Path" not in done.stdout.replace("PATH", "")  # types are <path>, <str>, <float>
    if command == "run":
        assert "e.g. iterations=40,tokens=2000000,wall=3600" in done.stdout and "--shell / --no-shell" in done.stdout


@pytest.mark.slow
def test_piped_output_is_80_columns():
    """Piped (no terminal, no COLUMNS), tables and lines fit 80 columns; only the copyable compile command is longer."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    listed = szagents("tasks", env=env)
    checked = szagents("validate", SOURCE, "--kernel", "szx", "--dataset", "climate:90x180", "--rel", "1e-3", env=env)
    assert listed.returncode == 0 and checked.returncode == 0, checked.stderr
    command = next(line for line in checked.stdout.splitlines() if line.lstrip().startswith("gcc "))
    lines = [line for line in (listed.stdout + checked.stdout).splitlines() if line != command]
    assert max(map(len, lines)) <= 80 and "szx-optimize-cpu" in listed.stdout and "climate:90x180@rel=0.001" in checked.stdout


@pytest.mark.slow
def test_resume_of_a_finished_run_says_so(tmp_path):
    """resume on a finished run prints that there is nothing to resume."""
    done = szagents("run", "--task", "szx-optimize-cpu", "--model", "scripted:demo", "--quick", "--runs-dir", str(tmp_path),
                    "--run-id", "r", "--budget", "iterations=1")
    assert done.returncode in (0, 1), done.stderr
    again = szagents("resume", str(tmp_path / "r"))
    assert "already finished (budget_iterations)" in again.stdout and again.returncode == done.returncode


@pytest.mark.slow
def test_sigterm_during_run_says_how_to_resume(tmp_path):
    """SIGTERM while a run is going: exit 143 with the resume command."""
    import signal

    proc = subprocess.Popen([sys.executable, "-m", "szagents.cli", "run", "--task", "szx-optimize-cpu", "--model",
                             "scripted:demo", "--quick", "--runs-dir", str(tmp_path), "--run-id", "r"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    log = tmp_path / "r" / "trajectory.jsonl"
    deadline = time.time() + 60
    while time.time() < deadline and not (log.exists() and '"llm_call"' in log.read_text()):
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and f"szagents resume {tmp_path / 'r'}" in out.replace("\n", ""), out + err


def test_crash_in_validation_names_the_case():
    """A kernel that segfaults: the output names the case that crashes."""
    adversarial = ROOT / "tests" / "backends" / "adversarial"
    done = szagents("validate", str(adversarial / "segfault.c"), str(adversarial / "raw_common.h"), "--kernel", "szx",
                    "--dataset", "climate:90x180", "--dataset", "constant:1000", "--rel", "1e-3")
    assert done.returncode == 1 and "SIGSEGV during compress of climate:90x180@rel=0.001" in done.stdout, done.stdout


def test_cuda_without_a_gpu_fails_fast_before_compiling():
    """validate --backend cuda where CUDA cannot run: exit 2 in one line, from availability, before any compile."""
    from szagents.backends.registry import get_backend

    if get_backend("cuda").availability().available:
        pytest.skip("CUDA can run here")
    start = time.perf_counter()
    done = szagents("validate", SOURCE, "--kernel", "szx", "--backend", "cuda")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1 and "cuda" in done.stderr
    assert "compile " not in done.stdout and time.perf_counter() - start < 60


@pytest.mark.slow
def test_provider_error_exits_3_and_resume_with_a_new_base_url_finishes(tmp_path):
    """A server that fails for good mid-run: exit 3 with the resume command; resume --base-url to a good server finishes."""
    from tests.models.loopback import chat_completion_body, serve_loopback

    args = ("run", "--task", "szx-optimize-cpu", "--model", "openai:local-model", "--quick", "--runs-dir", str(tmp_path),
            "--run-id", "r", "--retry-seconds", "0")
    with serve_loopback() as broken:
        broken.queued.append((401, {"error": {"message": "key revoked"}}, {}))
        failed = szagents(*args, "--base-url", broken.url)
    assert failed.returncode == 3 and "auth" in failed.stdout and f"szagents resume {tmp_path / 'r'}" in failed.stdout
    with serve_loopback() as good:
        good.queued.append((200, chat_completion_body("local-model", tool_call=False), {}))
        resumed = szagents("resume", str(tmp_path / "r"), "--base-url", good.url)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert json_config(tmp_path / "r")["base_url"] == good.url


def json_config(run_dir: Path) -> dict:
    import json

    return json.loads((run_dir / "run.json").read_text())


@pytest.mark.slow
def test_missing_key_is_a_failed_start_without_a_run_folder(tmp_path):
    """openai: without a key or a server: exit 2, one line with the fix, and no run folder left behind."""
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE")}
    done = szagents("run", "--task", "szx-optimize-cpu", "--model", "openai:gpt-4o", "--runs-dir", str(tmp_path), env=env)
    assert done.returncode == 2 and "OPENAI_API_KEY" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_the_resume_line_is_written_even_when_the_signal_cut_a_print_short(tmp_path):
    """SIGTERM inside one of the progress view's prints leaves Rich's console buffering (the print's context never
    exits); the resume command still reaches the terminal."""
    import io

    from rich.console import Console

    from szagents.cli.errors import Terminated
    from szagents.cli.running import _guard

    out = io.StringIO()
    console = Console(file=out, width=200)
    console.begin_capture()  # what a print cut short by the signal leaves behind: the console's buffer entered

    def go():
        console.print("optimizer #1 -> read_file")
        raise Terminated()

    assert _guard(console, tmp_path, go) == 143
    assert f"szagents resume {tmp_path}" in out.getvalue()
