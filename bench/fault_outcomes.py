"""For each injected fault: time from the fault to the documented outcome, and the outcome.

A loopback OpenAI-compatible server (tests/models/loopback.py) answers the agent's first call with
the fault; the run uses the real langchain-openai client on the cpu backend (szx-optimize-cpu,
quick), call timeout 2 s, retry budget 5 s. The clock starts when the server receives the faulted
request and stops when the run's outcome is known (run returned or ProviderError raised).

Usage: .venv/bin/python bench/fault_outcomes.py   (from the repository root; ~2 minutes)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from szagents.models.calls import ProviderError  # noqa: E402
from szagents.roles.team import Team  # noqa: E402
from szagents.run import RunConfig, start_run  # noqa: E402
from szagents.tasks.task import Budgets  # noqa: E402
from tests.models.loopback import Fault, chat_completion_body, serve_loopback  # noqa: E402

ERROR = {"error": {"message": "try later", "type": "server_error"}}


def _reply(calls=(), content="done"):  # noqa: ANN001, ANN202
    body = chat_completion_body("local-model", tool_call=bool(calls))
    body["choices"][0]["message"]["content"] = content
    if calls:
        body["choices"][0]["message"]["tool_calls"] = [
            {"id": f"c{i}", "type": "function", "function": {"name": n, "arguments": a}} for i, (n, a) in enumerate(calls)]
    return body


DONE = (200, _reply(), {})
CUT = (200, _reply([("write_file", '{"path": "kernel.c", "content": "int sz_')]), {})
FAULTS = {
    "invalid tool JSON x3": ([CUT, CUT, CUT], {}),
    "unknown tool": ([(200, _reply([("frobnicate", "{}")]), {}), DONE], {}),
    "429 retry-after 1 s": ([(429, ERROR, {"retry-after": "1"}), DONE], {}),
    "503 once": ([(503, ERROR, {}), DONE], {}),
    "500 persistent": ([(500, ERROR, {})] * 30, {}),
    "malformed body": ([Fault("malformed"), DONE], {}),
    "empty choices": ([(200, {**_reply(), "choices": []}, {}), DONE], {}),
    "dropped connection": ([Fault("drop"), DONE], {}),
    "slow (1.5 s)": ([Fault("slow", delay_s=1.5, body=_reply())], {}),
    "hung, call timeout 2 s": ([Fault("hang"), DONE], {}),
    "401 at pre-flight": ([], {"preflight_reply": (401, ERROR, {})}),
    "codex name, chat-only server": ([], {"chat_only": True, "model": "openai:local-codex"}),
    "hung, wall budget 20 s": ([Fault("hang")] * 5, {"budgets": Budgets(wall_seconds=20), "call_timeout_s": 600,
                                                     "retry_seconds": 600}),
}


def _outcome(name: str, queue: list, changes: dict, runs: Path) -> tuple[float, str]:
    with serve_loopback() as server:
        server.queued.extend(queue)
        if "preflight_reply" in changes:
            server.preflight.append(changes.pop("preflight_reply"))
        server.chat_only = changes.pop("chat_only", False)
        model = changes.pop("model", "openai:local-model")
        config = RunConfig(task="szx-optimize-cpu", team=Team.single(model), tier="expert", runs_dir=runs,
                           quick=True, run_id=name.replace(" ", "_").replace(",", "").replace("(", "").replace(")", ""),
                           base_url=server.url, **{"call_timeout_s": 2.0, "retry_seconds": 5.0, **changes})
        try:
            outcome = start_run(config)
            what = f"{outcome.state['stop_reason']} after {sum(outcome.state['iterations'].values())} LLM calls"
        except ProviderError as exc:
            started = (runs / config.run_id).exists()
            what = (f"ProviderError({exc.error_class}), " +
                    ("run_end provider_error, exit 3" if started else "no run folder, exit 3"))
        end = time.time()
        first = next((r for r in server.requests if "tools" in r.body), server.requests[0])
    return end - first.received, what


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print(f"| fault | seconds from fault to outcome | outcome |\n|---|---|---|")
        for name, (queue, changes) in FAULTS.items():
            seconds, what = _outcome(name, list(queue), dict(changes), Path(tmp))
            print(f"| {name} | {seconds:.2f} | {what} |", flush=True)


if __name__ == "__main__":
    main()
