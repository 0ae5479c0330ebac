"""szagents runs as Inspect eval logs (`szagents export`): the format of the installed inspect-ai, written through
its own log API, so `inspect view` shows the transcripts and `inspect_ai.log.read_eval_log` reads them back.

Needs the `inspect` extra (pip install 'szagents[inspect]'); nothing else in szagents imports this package.
"""

from szagents.analysis.export.evals import NOT_RECORDED, ExportResult, export_inspect

__all__ = ["ExportResult", "NOT_RECORDED", "export_inspect"]
