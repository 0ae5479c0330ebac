"""Stage a harness run (run.py, data, request) and run it with cs_python or through SdkLauncher."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from szagents.backends.cerebras.build import ARTIFACT_RECORD, appliance_env
from szagents.backends.cerebras.config import SDK_ISOLATION, CerebrasConfig
from szagents.backends.cerebras.tools import OUT_NAME, appliance_command, cs_python_args, host_python, json_lines
from szagents.backends.protocol import KernelSpec, Problem
from szagents.backends.results import CompileResult
from szagents.backends.sandbox import ProcessOutcome, run_limited
from szagents.codecs import get_codec
from szagents.errors import HarnessError, SzAgentsError
from szagents.paths import data_root

__all__ = ["HARNESS_FILES", "RunOutput", "harness_folder", "stage", "run_harness"]

_CHECKS = Path(__file__).resolve().parents[1] / "child" / "checks.py"  # staged as sz_checks.py: the same rules
HARNESS_FILES = ("run.py", "wafer.py")
_DOWNLOAD_SECONDS = 300  # appliance: fetching result.json after the run


class RunOutput:
    """What a harness run left: the process outcome, progress lines, the result file if any, the SDK."""

    def __init__(self, outcome: ProcessOutcome, lines: list[dict[str, Any]], result: dict[str, Any] | None,
                 sdk_version: str | None = None) -> None:
        self.outcome, self.lines, self.result = outcome, lines, result
        self.sdk_version = self.message("sdk_version") or sdk_version

    @property
    def phase(self) -> str | None:
        """The last progress the harness (or the appliance child) reported."""
        phases = [line["progress"] for line in self.lines if "progress" in line]
        return phases[-1] if phases else None

    def message(self, key: str) -> str | None:
        """The first value of key among the JSON lines (runtime_error, internal_error, ...)."""
        return next((line[key] for line in self.lines if key in line), None)


def harness_folder() -> Path:
    """cerebras/ task material: run.py, README.md, skeleton/."""
    return data_root() / "cerebras"


def _reference_streams(data: np.ndarray, eb: float, spec: KernelSpec, chunk: int) -> dict[str, np.ndarray] | None:
    """Per-chunk streams of the reference codec, concatenated, with offsets (format check)."""
    try:
        codec = get_codec(spec.codec, **spec.options)
        streams = [codec.compress(data[k:k + chunk], eb) for k in range(0, data.size, chunk)]
    except SzAgentsError:  # no reference codec, or input it refuses: nothing to compare with
        return None
    offsets = np.cumsum([0, *map(len, streams)]).astype(np.int64)
    return {"streams": np.frombuffer(b"".join(streams), np.uint8), "offsets": offsets}


def stage(folder: Path, op: str, problems: Sequence[Problem], spec: KernelSpec, params: Mapping[str, int],
          config: CerebrasConfig) -> list[Path]:
    """Write run.py, its checks, the cases and request.json into folder; the files staged."""
    for name in HARNESS_FILES:
        shutil.copyfile(harness_folder() / name, folder / name)
    shutil.copyfile(_CHECKS, folder / "sz_checks.py")
    cases = []
    files = [*(folder / n for n in HARNESS_FILES), folder / "sz_checks.py", folder / "request.json"]
    for index, problem in enumerate(problems):
        data = np.ascontiguousarray(problem.data.ravel()).astype(np.float32, copy=False)
        np.save(folder / f"case{index}.npy", data)
        entry = {"dataset": problem.dataset, "path": f"case{index}.npy", "eb": problem.eb}
        files.append(folder / entry["path"])
        eb32 = float(np.float32(problem.eb))  # what the PEs receive
        reference = _reference_streams(data, eb32, spec, params["chunk"]) if spec.format_check else None
        if reference is not None:
            np.savez(folder / f"case{index}_ref.npz", **reference)
            entry["expected"] = f"case{index}_ref.npz"
            files.append(folder / entry["expected"])
        cases.append(entry)
    request = {"format_version": 1, "op": op, **params, "clock_hz": config.clock_hz,
               "repetitions": config.bench_repetitions, "cases": cases}
    (folder / "request.json").write_text(json.dumps(request))
    return files


def run_harness(config: CerebrasConfig, build: CompileResult, op: str, problems: Sequence[Problem], spec: KernelSpec,
                params: Mapping[str, int], workdir: Path) -> RunOutput:
    """Stage and run the harness in a fresh folder under workdir; the folder is removed after."""
    root = Path(workdir) / ".cerebras"
    root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{op}-", dir=root))
    try:
        files = stage(folder, op, problems, spec, params, config)
        if config.mode == "appliance":
            outcome, lines = _appliance_run(config, build, folder, files)
        else:
            outcome, lines = _local_run(config, build, folder)
        result_path = folder / "result.json"
        result = json.loads(result_path.read_text()) if result_path.exists() else None
        return RunOutput(outcome, lines, result, build.sdk_version)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _library(build: CompileResult, *, appliance: bool) -> Path:
    """The build's program folder (local SDK) or artifact record (appliance), checked against the mode."""
    library = build.library
    if library is None or (library.name == ARTIFACT_RECORD) != appliance:
        kind = "an appliance artifact" if appliance else "a local cslc output folder"
        raise HarnessError(f"the cerebras build {library} is not {kind}: compile it in the mode you run it in")
    return library


def _local_run(config: CerebrasConfig, build: CompileResult, folder: Path) -> tuple[ProcessOutcome, list[dict]]:
    # cs_python's container sees only its working folder and /tmp: the program travels beside run.py.
    shutil.copytree(_library(build, appliance=False), folder / OUT_NAME)
    command = [*host_python(config, folder), *cs_python_args(config.cmaddr)]
    outcome = run_limited(command, limits=config.run_limits, cwd=folder, isolation=SDK_ISOLATION)
    return outcome, json_lines(outcome.stdout)


def _appliance_run(config: CerebrasConfig, build: CompileResult, folder: Path,
                   files: list[Path]) -> tuple[ProcessOutcome, list[dict]]:
    artifact = json.loads(_library(build, appliance=True).read_text())["artifact"]
    args = cs_python_args("%CMADDR%" if config.on_hardware else None)  # the launcher fills in %CMADDR%
    job = {"op": "run", "artifact": artifact, "simulator": config.appliance_simulator, "stage": [str(f) for f in files],
           "command": " ".join(["cs_python", *args]), "download": [["result.json", str(folder / "result.json")]],
           "launcher_options": {"disable_version_check": config.disable_version_check},
           "exec_seconds": config.run_limits.wall_seconds, "queue_seconds": config.queue_seconds}
    # The child times queueing (and upload) and execution apart; this limit is only a safety net.
    whole = config.run_limits.wall_seconds + config.queue_seconds + _DOWNLOAD_SECONDS
    limits = config.run_limits.model_copy(update={"wall_seconds": whole})
    outcome = run_limited(appliance_command(config), limits=limits, cwd=folder, stdin=json.dumps(job), isolation=SDK_ISOLATION,
                          env=appliance_env(config))
    lines = json_lines(outcome.stdout)
    response = next((line["response"] for line in lines if "response" in line), "")
    return outcome, lines + json_lines(response)
