"""How the command line ends: exit codes and one-line messages (a traceback only with --debug).

Exit codes:
  0    the run (or validation) produced a correct result
  1    it finished without a correct revision (validation: the kernel is incorrect)
  2    bad value or environment: unknown option value, missing key, no backend, bad task...
  3    the model provider failed for good (class in the message: auth, network, rate_limit,
       server, bad_response, model_not_found, timeout, bad_request); the run can be resumed
  4    an internal error (a bug: run with --debug and report the traceback)
  130  interrupted (Ctrl-C); 143 terminated (SIGTERM): the run can be resumed
"""

from __future__ import annotations

import signal
import sys
import traceback
from collections.abc import Callable

__all__ = ["EXIT_OK", "EXIT_INCORRECT", "EXIT_USAGE", "EXIT_PROVIDER", "EXIT_INTERNAL", "Terminated",
           "guarded", "on_sigterm"]

EXIT_OK, EXIT_INCORRECT, EXIT_USAGE, EXIT_PROVIDER, EXIT_INTERNAL = 0, 1, 2, 3, 4


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the main thread is, so a run stops as if interrupted."""


def on_sigterm() -> None:
    """Turn SIGTERM into Terminated for the rest of the process."""
    def handler(signum: int, frame: object) -> None:
        raise Terminated()

    signal.signal(signal.SIGTERM, handler)


def _say(text: str) -> None:
    sys.stderr.write(f"error: {text}\n")


def _usage(exc: Exception) -> int:
    """A usage error as one line with the command's --help hint."""
    ctx = getattr(exc, "ctx", None)
    where = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
    _say(f"{exc.format_message()}{where}")
    return EXIT_USAGE


def _problem(error: dict) -> str:
    """One pydantic error: a validator's own words (they name the value and the fix), else 'field = value: why'."""
    if error["type"] == "value_error" and "error" in error.get("ctx", {}):
        return str(error["ctx"]["error"])  # without pydantic's "Value error, " prefix
    return f"{'.'.join(map(str, error['loc'])) or 'value'} = {error.get('input')!r}: {error['msg']}"


def _validation(exc: Exception) -> int:
    """A pydantic ValidationError as one line (its problems joined)."""
    _say("; ".join(_problem(e) for e in exc.errors()))
    return EXIT_USAGE


def guarded(run: Callable[[], object], debug: bool) -> int:
    """Run the app; return the exit code, turning every failure into one line (and --debug's traceback)."""
    from typer.exceptions import Abort, Exit, TyperException

    try:
        code = run()
        return code if isinstance(code, int) else EXIT_OK
    except Exit as exc:
        return exc.exit_code
    except Abort:
        return 130
    except TyperException as exc:  # usage errors: bad option, missing file, unknown command
        return _usage(exc)
    except KeyboardInterrupt as exc:
        sys.stderr.write("interrupted\n")
        return 143 if isinstance(exc, Terminated) else 130
    except Exception as exc:  # noqa: BLE001 - the one place where every failure becomes an exit code
        from pydantic import ValidationError

        from szagents.errors import SzAgentsError

        if debug:
            traceback.print_exc()
        # A provider error comes only from the model stack: never imported here, so kernel-only commands
        # (validate, references) fail with their own message where LangChain is not installed.
        calls = sys.modules.get("szagents.models.calls")
        if calls is not None and isinstance(exc, calls.ProviderError):
            _say(str(exc))
            return EXIT_PROVIDER
        if isinstance(exc, SzAgentsError):
            _say(str(exc))
            return EXIT_USAGE
        if isinstance(exc, ValidationError):
            return _validation(exc)
        _say(f"internal error {type(exc).__name__}: {exc} (run again with --debug for the traceback)")
        return EXIT_INTERNAL
