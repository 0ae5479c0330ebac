"""Fake of cerebras-sdk's appliance client: SdkCompiler and SdkLauncher, as strict as 2.10.0.

Same shapes as the real client: `with SdkCompiler(**opts) as c: artifact = c.compile(app_path,
csl_main, options, out_path)` returns the path of a compile artifact (a tarball of the output
folder); `with SdkLauncher(artifact, simulator=..., disable_version_check=...) as l:` gives
stage(file), run(command) -> the command's output (cs_python rewritten to python, %CMADDR%
filled in on hardware and refused on the simulator) and download_artifact(remote, local).
Behaviour copied from the real one where it matters to callers:
- entering either needs the usernode config: CSCONFIG_PATH, else /opt/cerebras/config_v2;
  without it the cluster has no address and entering raises;
- compile runs on a "worker" (another folder): the compiler's output goes to the logger, on
  stderr, tab-indented under a timestamped "CSL compiler output:" line, and a failure raises
  only "SdkCompiler.compile() failed.";
- SZAGENTS_FAKE_APPLIANCE_QUEUE_SECONDS delays entering a launcher (the job waits in the queue).
Compilation is the fake cslc run in-process; run() executes the command with the fake python.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

FAKES = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(FAKES))
import cslc  # noqa: E402 - the fake compiler, FAKES/cslc.py

LOGGER = logging.getLogger(__name__)
_handler = logging.StreamHandler()
_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-8s %(message)s"))
LOGGER.addHandler(_handler)
LOGGER.setLevel(logging.INFO)


class ApplianceUnknownError(Exception):
    """What the real client raises for a failed compile and most cluster errors."""


class ClusterConfigError(RuntimeError):
    """A usernode config that cannot give the cluster's address."""


def _cluster_address() -> str:
    path = Path(os.environ.get("CSCONFIG_PATH") or "/opt/cerebras/config_v2")
    if not path.exists():
        raise ClusterConfigError("config error: mgmt_address has no default value")
    doc = json.loads(path.read_text())
    context = {c["name"]: c for c in doc["contexts"]}[doc["currentContext"]]
    return {c["name"]: c for c in doc["clusters"]}[context["cluster"]]["server"]


class SdkCompiler:
    """Compile jobs on the (fake) cluster."""

    def __init__(self, **options: object) -> None:
        self.options = options

    def __enter__(self) -> SdkCompiler:
        self.address = _cluster_address()
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def compile(self, app_path: str, csl_main: str, options: str, out_path: str) -> str:
        with tempfile.TemporaryDirectory(prefix="fake-worker-") as remote:  # the cluster's job folder, gone after
            return self._compile(Path(remote) / "cs_job", app_path, csl_main, options, out_path)

    def _compile(self, worker: Path, app_path: str, csl_main: str, options: str, out_path: str) -> str:
        shutil.copytree(app_path, worker, ignore=lambda _, names: [n for n in names if n.endswith(".json")])
        log, here = io.StringIO(), os.getcwd()
        os.chdir(worker)
        try:
            with redirect_stdout(log), redirect_stderr(log):
                status = cslc.main([csl_main, *shlex.split(options)])
        finally:
            os.chdir(here)
        message = log.getvalue() or "CSL compiler produced no messages. Compilation successful."
        LOGGER.info(f"CSL compiler output:\n{textwrap.indent(message, prefix=chr(9))}")
        if status != 0:
            raise ApplianceUnknownError("SdkCompiler.compile() failed.")
        out = worker / shlex.split(options)[shlex.split(options).index("-o") + 1]
        digest = hashlib.sha256(str(sorted(p.name for p in out.rglob("*"))).encode()).hexdigest()[:16]
        artifact = Path(out_path) / f"artifact_{digest}.tar.gz"
        with tarfile.open(artifact, "w:gz") as tar:
            tar.add(out, arcname=out.name)
        return str(artifact)


class SdkLauncher:
    """A (fake) worker session holding an extracted artifact, staged files and a shell."""

    def __init__(self, artifact_path: str, simulator: bool = False, disable_version_check: bool = False) -> None:
        self.artifact, self.simulator = Path(artifact_path), simulator

    def __enter__(self) -> SdkLauncher:
        self.address = _cluster_address()
        time.sleep(float(os.environ.get("SZAGENTS_FAKE_APPLIANCE_QUEUE_SECONDS", "0")))
        if not self.artifact.is_file():
            raise ApplianceUnknownError(f"SdkLauncher creation (upload phase): {self.artifact} not found")
        self.workdir = Path(tempfile.mkdtemp(prefix="fake-launcher-"))
        with tarfile.open(self.artifact) as tar:
            tar.extractall(self.workdir, filter="data")
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)

    def stage(self, path: str) -> None:
        shutil.copy(path, self.workdir / Path(path).name)

    def run(self, *commands: str) -> str:
        output = ""
        for command in commands:
            if "%CMADDR%" in command and self.simulator:
                raise RuntimeError("SdkLauncher.run() was asked to run a command containing %CMADDR% which is not "
                                   "compatible with the simulator argument provided during SdkLauncher creation")
            command = command.replace("cs_python", "python").replace("%CMADDR%", "10.0.0.1:9000")
            env = {**os.environ, "PATH": f"{FAKES / 'worker-bin'}{os.pathsep}{os.environ['PATH']}",
                   "SZAGENTS_FAKE_PYTHON": sys.executable}
            done = subprocess.run(command, shell=True, cwd=self.workdir, capture_output=True, text=True,
                                  check=False, env=env)
            output += done.stdout + done.stderr
        return output

    def download_artifact(self, remote: str, local: str) -> None:
        source = self.workdir / remote
        if not source.is_file():
            raise ApplianceUnknownError(f"{remote} does not exist in the appliance workdir")
        shutil.copy(source, local)
