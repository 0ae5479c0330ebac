"""Fake of cerebras-sdk's appliance client: SdkCompiler and SdkLauncher.

Same shapes as the documented API: `with SdkCompiler(**opts) as c: artifact = c.compile(app_path,
csl_main, options, out_path)` returns the path of a compile artifact (a tarball of the output
folder) and raises with the compiler's log on failure; `with SdkLauncher(artifact, simulator=...,
disable_version_check=...) as l:` gives stage(file), run(command) -> the command's output (with
%CMADDR% filled in on hardware, refused on the simulator) and download_artifact(remote, local).
Compilation is the fake cslc run in-process; run() executes the command with the fake cs_python.
"""

from __future__ import annotations

import hashlib
import io
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

FAKES = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(FAKES))
import cslc  # noqa: E402 - the fake compiler, FAKES/cslc.py


class SdkCompiler:
    """Compile jobs on the (fake) cluster."""

    def __init__(self, **options: object) -> None:
        self.options = options

    def __enter__(self) -> SdkCompiler:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def compile(self, app_path: str, csl_main: str, options: str, out_path: str) -> str:
        log = io.StringIO()
        here = os.getcwd()
        os.chdir(app_path)
        try:
            with redirect_stdout(log), redirect_stderr(log):
                status = cslc.main([csl_main, *shlex.split(options)])
        finally:
            os.chdir(here)
        if status != 0:
            raise RuntimeError(f"Compilation failed:\n{log.getvalue()}")
        out = Path(app_path) / shlex.split(options)[shlex.split(options).index("-o") + 1]
        digest = hashlib.sha256(str(sorted(p.name for p in out.rglob("*"))).encode()).hexdigest()[:16]
        artifact = Path(out_path) / f"artifact_{digest}.tar.gz"
        with tarfile.open(artifact, "w:gz") as tar:
            tar.add(out, arcname=out.name)
        return str(artifact)


class SdkLauncher:
    """A (fake) worker session holding an extracted artifact, staged files and a shell."""

    def __init__(self, artifact_path: str, simulator: bool = False, disable_version_check: bool = False) -> None:
        if not Path(artifact_path).is_file():
            raise RuntimeError(f"artifact {artifact_path} not found on the appliance")
        self.artifact, self.simulator = Path(artifact_path), simulator

    def __enter__(self) -> SdkLauncher:
        self.workdir = Path(tempfile.mkdtemp(prefix="fake-launcher-"))
        with tarfile.open(self.artifact) as tar:
            tar.extractall(self.workdir, filter="data")
        return self

    def __exit__(self, *exc: object) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)

    def stage(self, path: str) -> None:
        shutil.copy(path, self.workdir / Path(path).name)

    def run(self, command: str) -> str:
        if "%CMADDR%" in command and self.simulator:
            raise RuntimeError("%CMADDR% is not allowed in simulator mode")
        command = command.replace("%CMADDR%", "10.0.0.1:9000")
        done = subprocess.run(command, shell=True, cwd=self.workdir, capture_output=True, text=True, check=False)
        return done.stdout + done.stderr

    def download_artifact(self, remote: str, local: str) -> None:
        source = self.workdir / remote
        if not source.is_file():
            raise RuntimeError(f"{remote} does not exist in the appliance workdir")
        shutil.copy(source, local)
