"""Every submitted version of the workspace, on disk, with its measurements; the best one wins.

Layout: run_dir/revisions/<NNN>/files/... and run_dir/revisions/<NNN>/revision.json (written last,
so a folder without it is an interrupted save and is ignored, then overwritten).

Score of a correct revision: its task's objective (`tasks.integrity.Objective`; by default the
geometric mean of compression and decompression GB/s here, 0 when it was not benchmarked). best()
is the correct revision with the highest score, the earlier on ties. A revision below the task's
ratio floor keeps its measurements but is not correct (verdict `ratio_regression`), so never best.
Identical files are saved again as a new revision that reuses (and names) the earlier result.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import os
import shutil
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from szagents.backends.results import BenchmarkResult
from szagents.tasks.evaluate import Evaluation
from szagents.tasks.integrity import Objective, objective_value
from szagents.workspace.workspace import Workspace, WorkspaceError

__all__ = ["Revision", "RevisionStore", "revision_score", "unified_diff", "one_line", "files_sha256"]

_FORMAT_VERSION = 1


def one_line(text: str, limit: int = 200) -> str:
    """The first non-empty line of text, whitespace collapsed, cut to limit characters."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    line = " ".join(line.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def files_sha256(files: Mapping[str, bytes]) -> str:
    """sha256 over every file's name and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name] + b"\0")
    return digest.hexdigest()


def revision_score(compress_gbps: float | None, decompress_gbps: float | None) -> float:
    """Geometric mean of the two throughputs; 0 when either is missing or not positive."""
    if not compress_gbps or not decompress_gbps or compress_gbps <= 0 or decompress_gbps <= 0:
        return 0.0
    return math.sqrt(compress_gbps * decompress_gbps)


class Revision(BaseModel):
    """One submitted version: who, what, its files' hash, verdict and measurements."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    number: int  # 1-based
    role: str
    action: str
    sha256: str
    files: list[str]
    verdict: str  # "ok", the first failure's verdict, or "unevaluated"
    detail: str = ""
    correct: bool
    compress_gbps: float | None = None
    decompress_gbps: float | None = None
    ratio: float | None = None
    compress_cv: float | None = None  # spread (std/mean) of the timed repetitions, worst case
    decompress_cv: float | None = None
    case_ratios: dict[str, float] = {}  # 'validation:<case>' / 'benchmark:<case>' -> ratio
    reused_from: int | None = None  # identical files: the revision whose result this one repeats
    created_at: str
    format_version: int = _FORMAT_VERSION

    @property
    def score(self) -> float:
        """The ranking score (see the module docstring); 0 when not correct."""
        return revision_score(self.compress_gbps, self.decompress_gbps) if self.correct else 0.0

    def objective(self, objective: Objective) -> float:
        """The task's objective for this revision; 0 when not correct."""
        return objective_value(objective, self.compress_gbps, self.decompress_gbps) if self.correct else 0.0


def _gmean(values: list[float]) -> float | None:
    positive = [v for v in values if v > 0]
    return math.prod(positive) ** (1 / len(positive)) if positive else None


def _worst(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None


def benchmark_numbers(bench: BenchmarkResult | None) -> dict[str, float | None]:
    """Across benchmark cases: geometric-mean GB/s, overall ratio (total in / total compressed), worst CV."""
    if bench is None or not bench.ok or not bench.cases:
        return {"compress_gbps": None, "decompress_gbps": None, "ratio": None}
    compressed = sum(c.compressed_bytes for c in bench.cases)
    return {
        "compress_gbps": _gmean([c.compress_gbps for c in bench.cases]),
        "decompress_gbps": _gmean([c.decompress_gbps for c in bench.cases]),
        "ratio": sum(c.input_bytes for c in bench.cases) / compressed if compressed else None,
        "compress_cv": _worst([c.compress.cv for c in bench.cases]),
        "decompress_cv": _worst([c.decompress.cv for c in bench.cases]),
    }


def _outcome(evaluation: Evaluation | None) -> tuple[str, str, bool]:
    """(verdict, detail, correct) of an evaluation: the first failing stage decides."""
    if evaluation is None:
        return "unevaluated", "", False
    if not evaluation.build.ok:
        errors = [ln for ln in evaluation.build.log.splitlines() if "error" in ln.lower()]
        return "compile_error", one_line(errors[0] if errors else evaluation.build.log, 300), False
    stages = [s for s in (evaluation.validation, evaluation.benchmark) if s is not None]
    for stage in stages:
        if not stage.ok:
            return stage.verdict.value, stage.detail[:300], False
    if evaluation.floor is not None and not evaluation.floor.ok:
        return "ratio_regression", evaluation.floor.detail(), False
    return "ok", "", evaluation.correct


def unified_diff(old: Mapping[str, bytes], new: Mapping[str, bytes], old_label: str = "a", new_label: str = "b") -> str:
    """A unified diff of two file sets (binary files are only named)."""
    chunks: list[str] = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        try:
            a = before.decode("utf-8").splitlines(keepends=True) if before is not None else []
            b = after.decode("utf-8").splitlines(keepends=True) if after is not None else []
        except UnicodeDecodeError:
            chunks.append(f"Binary file {name} differs\n")
            continue
        src = f"{old_label}/{name}" if before is not None else "/dev/null"
        dst = f"{new_label}/{name}" if after is not None else "/dev/null"
        lines = difflib.unified_diff(a, b, src, dst)
        chunks.append("".join(ln if ln.endswith("\n") else ln + "\n\\ No newline at end of file\n" for ln in lines))
    return "".join(chunks)


class RevisionStore:
    """Revisions of one run, saved under run_dir/revisions and reloaded from there."""

    def __init__(self, run_dir: Path) -> None:
        self.folder = Path(run_dir) / "revisions"
        self.folder.mkdir(parents=True, exist_ok=True)
        self._revisions = self._load()

    def _load(self) -> dict[int, Revision]:
        found = {}
        for record in self.folder.glob("*/revision.json"):
            revision = Revision.model_validate_json(record.read_text())
            found[revision.number] = revision
        return dict(sorted(found.items()))

    def _dir(self, number: int) -> Path:
        return self.folder / f"{number:03d}"

    def save(self, files: Mapping[str, bytes], *, role: str, action: str, evaluation: Evaluation | None) -> Revision:
        """Store files with the evaluation's verdict and measurements as the next revision."""
        verdict, detail, correct = _outcome(evaluation)
        measured = correct or verdict == "ratio_regression"  # below the floor: shown with its numbers, never best
        return self._write(files, dict(
            role=role, action=one_line(action), verdict=verdict, detail=detail, correct=correct,
            **benchmark_numbers(evaluation.benchmark if evaluation and measured else None),
            case_ratios=evaluation.ratios() if evaluation else {},
        ))

    def save_reused(self, files: Mapping[str, bytes], *, role: str, action: str, source: Revision) -> Revision:
        """Store files identical to source's as the next revision, repeating source's verdict and measurements."""
        fields = source.model_dump(exclude={"number", "role", "action", "sha256", "files", "created_at",
                                            "format_version", "reused_from"})
        return self._write(files, dict(fields, role=role, action=one_line(action), reused_from=source.number))

    def same_files(self, files: Mapping[str, bytes]) -> Revision | None:
        """The earliest revision with exactly these files, if any."""
        sha = files_sha256(files)
        return next((r for r in self._revisions.values() if r.sha256 == sha), None)

    def _write(self, files: Mapping[str, bytes], fields: dict) -> Revision:
        """Write files and revision.json (last) as the next revision."""
        number = max(self._revisions, default=0) + 1
        target = self._dir(number)
        if target.exists():  # an interrupted save left it without revision.json
            shutil.rmtree(target)
        for name, data in files.items():
            path = target / "files" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        revision = Revision(number=number, sha256=files_sha256(files), files=sorted(files),
                            created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"), **fields)
        tmp = target / "revision.json.tmp"
        tmp.write_text(revision.model_dump_json(indent=1))
        os.replace(tmp, target / "revision.json")
        self._revisions[number] = revision
        return revision

    def get(self, number: int) -> Revision:
        """Revision number, or WorkspaceError listing the ones that exist."""
        if number not in self._revisions:
            known = ", ".join(map(str, self._revisions)) or "none yet"
            raise WorkspaceError(f"no revision {number}; revisions: {known}")
        return self._revisions[number]

    def all(self) -> list[Revision]:
        """Every revision, oldest first."""
        return list(self._revisions.values())

    def latest(self) -> Revision | None:
        """The most recent revision, if any."""
        return self.all()[-1] if self._revisions else None

    def best(self, objective: Objective | None = None) -> Revision | None:
        """The correct revision with the highest objective (default: score); the earlier one on ties."""
        correct = [r for r in self._revisions.values() if r.correct]
        key = (lambda r: r.score) if objective is None else (lambda r: r.objective(objective))  # noqa: E731
        return max(correct, key=lambda r: (key(r), -r.number)) if correct else None

    def files(self, number: int) -> dict[str, bytes]:
        """The stored files of revision number."""
        revision = self.get(number)
        base = self._dir(number) / "files"
        return {name: (base / name).read_bytes() for name in revision.files}

    def diff(self, a: int, b: int) -> str:
        """Unified diff from revision a to revision b (a = 0 means the empty workspace)."""
        old = self.files(a) if a else {}
        return unified_diff(old, self.files(b), f"rev{a:03d}", f"rev{b:03d}")

    def restore(self, number: int, workspace: Workspace) -> Revision:
        """Roll workspace back to revision number's files; returns that revision."""
        workspace.restore(self.files(number))
        return self.get(number)
