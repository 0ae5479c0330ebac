"""Child process of appliance mode: compile or run through cerebras-sdk's cerebras.sdk.client.

Run as a script (`python appliance_child.py` with one JSON job on stdin) by an interpreter that
has the cerebras-sdk package, which need not have szagents: this file imports only the standard
library and, lazily, cerebras.sdk.client. It writes JSON lines: progress, then one outcome.
"""

from __future__ import annotations

import json
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

__all__ = ["main"]


def _emit(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


class _ExecTimeout(Exception):
    """A step ran past its own limit (the queue's, or the host program's execution)."""


def _sdk_version() -> str:
    """The client's version, as the package records it."""
    try:
        from cerebras.sdk.client._version import __version__  # noqa: PLC0415 - the client's own record
    except ImportError:
        from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

        try:
            return f"cerebras-sdk {version('cerebras-sdk')}"
        except PackageNotFoundError:
            return "cerebras-sdk (version unknown)"
    return f"cerebras-sdk {__version__}"


def _within(seconds: float, call: Any, *args: Any) -> Any:
    """call(*args) in a daemon thread; _ExecTimeout when it has not returned after seconds."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = call(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise _ExecTimeout
    if "error" in box:
        raise box["error"]
    return box["value"]


def _compile(job: dict[str, Any]) -> None:
    from cerebras.sdk.client import SdkCompiler  # the cluster's client, imported only in this child

    _emit(progress="compile")
    try:
        with SdkCompiler(**job.get("compiler_options", {})) as compiler:
            artifact = compiler.compile(job["app_path"], job["csl_main"], job["options"], job["out_path"])
    except Exception as exc:  # noqa: BLE001 - the client's exception types are not documented
        _emit(compile_error=f"{type(exc).__name__}: {exc}")
        return
    _emit(artifact=str(artifact))


def _run(job: dict[str, Any]) -> None:
    from cerebras.sdk.client import SdkLauncher  # the cluster's client, imported only in this child

    launcher = SdkLauncher(job["artifact"], simulator=job["simulator"], **job.get("launcher_options", {}))
    _emit(progress="launcher")  # queue and upload: the job waits for a worker (and a system)
    try:
        _within(job["queue_seconds"], launcher.__enter__)
    except _ExecTimeout:  # still queued: the parent ends this process (and its request) after this line
        _emit(queue_timeout=job["queue_seconds"])
        return
    except Exception as exc:  # noqa: BLE001 - the client's exception types are not documented
        _emit(runtime_error=f"{type(exc).__name__}: {exc}")
        return
    with _Entered(launcher):
        _launched(launcher, job)


class _Entered:
    """Leaves an SdkLauncher already entered (which ends its job on the cluster), whatever happens."""

    def __init__(self, launcher: Any) -> None:
        self.launcher = launcher

    def __enter__(self) -> Any:
        return self.launcher

    def __exit__(self, *exc: Any) -> None:
        self.launcher.__exit__(*exc)


def _launched(launcher: Any, job: dict[str, Any]) -> None:
    """Stage, run (execution timed alone) and download, reporting each outcome as a line."""
    try:
        for path in job["stage"]:
            launcher.stage(path)
        _emit(progress="running")
        _emit(response=str(_within(job["exec_seconds"], launcher.run, job["command"])))
    except _ExecTimeout:
        _emit(exec_timeout=job["exec_seconds"])
        return
    except Exception as exc:  # noqa: BLE001 - the client's exception types are not documented
        _emit(runtime_error=f"{type(exc).__name__}: {exc}")
        return
    _emit(progress="downloading")
    for remote, local in job["download"]:
        try:
            launcher.download_artifact(remote, local)
        except Exception as exc:  # noqa: BLE001 - e.g. the host program wrote no result
            _emit(download_error=f"{remote}: {type(exc).__name__}: {exc}")


def main() -> int:
    """Do the job read from stdin; exit 0 once an outcome line is written."""
    job = json.loads(sys.stdin.read())
    try:
        _emit(sdk_version=_sdk_version())
        (_compile if job["op"] == "compile" else _run)(job)
    except ImportError as exc:
        _emit(internal_error=f"cannot import cerebras.sdk.client in {sys.executable}: {exc}")
    except Exception:  # noqa: BLE001 - reported to the parent as a harness fault
        _emit(internal_error=traceback.format_exc())
    return 0


if __name__ == "__main__":
    # Run as a script, this file's folder is sys.path[0]; its module names must not shadow the client's.
    if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        sys.path.pop(0)
    sys.exit(main())
