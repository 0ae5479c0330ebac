"""OpenEvolve's own controller evolves an szagents task with our evaluator; its LLM is a loopback server."""

from __future__ import annotations

import asyncio
import logging
import shutil
import signal
from pathlib import Path

import pytest

pytest.importorskip("openevolve", reason="the openevolve extra is not installed: pip install 'szagents[openevolve]'")

from openevolve import OpenEvolve  # noqa: E402
from openevolve.config import load_config  # noqa: E402

from szagents.interop.openevolve import write_evaluator  # noqa: E402

from ..models.loopback import chat_completion_body, serve_loopback  # noqa: E402

TASK = "szx-optimize-cpu"
MARK = "/* evolved through the loopback model */"
# Two SEARCH/REPLACE answers, in OpenEvolve's diff format, on lines the start and its child both hold:
# the first keeps the kernel correct (a comment), the second drops a semicolon.
KEEP = f"""A harmless edit.
<<<<<<< SEARCH
    /* Pass 1: classify the blocks, so the sections before the records can be sized. */
=======
    /* Pass 1: classify the blocks, so the sections before the records can be sized. */
    {MARK}
>>>>>>> REPLACE
"""
BREAK = """A broken edit.
<<<<<<< SEARCH
    *out_bytes = pos;
=======
    *out_bytes = pos
>>>>>>> REPLACE
"""

CONFIG = """
max_iterations: 2
random_seed: 7
log_level: WARNING
max_code_length: 40000
checkpoint_interval: 100
diff_based_evolution: true
llm:
  api_base: {url}
  api_key: loopback-key
  models:
    - name: loopback-model
      weight: 1.0
  timeout: 60
  retries: 0
  retry_delay: 0
database:
  population_size: 8
  archive_size: 4
  num_islands: 1
evaluator:
  timeout: 300
  max_retries: 0
  cascade_evaluation: true
  cascade_thresholds: [0.5]
  parallel_evaluations: 1
"""


def _answer(text: str) -> tuple[int, dict, dict]:
    body = chat_completion_body("loopback-model", tool_call=False)
    body["choices"][0]["message"]["content"] = text
    return 200, body, {}


@pytest.fixture
def restored_process_state():
    """OpenEvolve's controller adds root log handlers and SIGINT/SIGTERM handlers: put them back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    signals = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
    for s, handler in signals.items():
        signal.signal(s, handler)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not on PATH; the cpu backend needs it")
def test_openevolve_controller_scores_its_children_with_the_szagents_harness(tmp_path: Path, restored_process_state):
    """Two iterations of the real controller: every program is scored by our evaluator (verdicts as artifacts, shown
    to the model in the next prompt), the correct child is measured, the broken one scores 0, and each of the two
    LLM calls went to the loopback server."""
    evaluator, program = write_evaluator(TASK, tmp_path / "oe", quick=True)
    with serve_loopback() as server:
        server.queued.extend([_answer(KEEP), _answer(BREAK)])
        config_file = tmp_path / "config.yaml"
        config_file.write_text(CONFIG.format(url=server.url))
        controller = OpenEvolve(str(program), str(evaluator), config=load_config(str(config_file)),
                                output_dir=str(tmp_path / "out"))
        best = asyncio.run(controller.run(iterations=2))
    assert [r.path for r in server.requests] == ["/v1/chat/completions"] * 2
    assert {r.body["model"] for r in server.requests} == {"loopback-model"}
    for request in server.requests:  # the parent's verdict reached the model as an OpenEvolve artifact
        assert "### verdict\n```\nok\n```" in request.body["messages"][-1]["content"]
    programs = list(controller.database.programs.values())
    by_mark = {(MARK in p.code, "*out_bytes = pos\n" in p.code): p for p in programs}
    assert len(programs) == 3, [p.code[-200:] for p in programs]
    start, kept = by_mark[(False, False)], by_mark[(True, False)]
    broken = by_mark.get((False, True)) or by_mark[(True, True)]  # its parent was the start or the kept child
    for p in (start, kept):
        assert p.metrics["correct"] == 1.0 and p.metrics["validated"] == 1.0
        assert p.metrics["compress_gbps"] > 0 and p.metrics["ratio"] > 1 and p.metrics["combined_score"] > 0
        assert controller.database.get_artifacts(p.id)["verdict"] == "ok"
    assert broken.metrics["combined_score"] == 0.0 and broken.metrics["validated"] == 0.0
    assert controller.database.get_artifacts(broken.id)["verdict"] == "compile_error"
    assert best is not None and best.id in (start.id, kept.id) and "compress_gbps" in best.metrics
