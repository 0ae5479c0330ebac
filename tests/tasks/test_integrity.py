"""Task integrity settings: task.toml declares the format policy, the ratio floor and the objective."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from szagents.backends.results import CaseResult, ValidationResult, Verdict
from szagents.errors import TaskError
from szagents.paths import kernels_dir
from szagents.tasks.catalog import get_task, kernel_tasks
from szagents.tasks.evaluate import build_problems
from szagents.tasks.integrity import (
    Integrity, Objective, case_ratios, check_floor, floors, objective_value, reference_ratios,
)
from szagents.tasks.task import Suite, load_kernel


def _kernel_copy(tmp_path: Path) -> Path:
    root = tmp_path / "kernels"
    shutil.copytree(kernels_dir() / "szx", root / "szx")
    return root


def _edit(root: Path, old: str, new: str) -> None:
    path = root / "szx" / "task.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_shipped_tasks_are_free_format_with_half_ratio_floor_on_compression_throughput():
    """szx and szp declare free format, floor 0.5 of the starting ratio, objective compress_gbps; no format check."""
    for task_id in ("szx-optimize-cpu", "szp-translate-cuda"):
        task = get_task(task_id)
        assert task.integrity == Integrity(format="free", ratio_floor=0.5, objective=Objective.compress_gbps)
        assert task.kernel.validation.format_check is False


def test_strict_format_turns_on_the_byte_identical_check(tmp_path):
    """format = "strict" sets the validation suite's format_check; contradicting settings are a clear error."""
    root = _kernel_copy(tmp_path)
    _edit(root, 'format = "free"', 'format = "strict"')
    kernel = load_kernel("szx", root)
    assert kernel.integrity.format == "strict" and kernel.validation.format_check
    _edit(root, 'format = "strict"', 'format = "free"')
    _edit(root, "relative_bounds = [1e-2, 1e-3, 1e-4]", "relative_bounds = [1e-2, 1e-3, 1e-4]\nformat_check = true")
    with pytest.raises(TaskError, match="contradicts"):
        load_kernel("szx", root)


def test_a_task_entry_may_declare_its_own_integrity(tmp_path):
    """A [[tasks]] entry with integrity overrides the kernel's; strict there checks that task's format only."""
    root = _kernel_copy(tmp_path)
    _edit(root, 'mode = "optimize"\ntarget = "cpu"\nsource = "serial_c"',
          'mode = "optimize"\ntarget = "cpu"\nsource = "serial_c"\nintegrity = { format = "strict", min_ratio = 1.5, '
          'objective = "gmean_gbps" }')
    tasks = {t.id: t for t in kernel_tasks(load_kernel("szx", root))}
    strict, other = tasks["szx-optimize-cpu"], tasks["szx-optimize-cuda"]
    assert strict.integrity.min_ratio == 1.5 and strict.integrity.objective is Objective.gmean_gbps
    assert strict.kernel.validation.format_check and not other.kernel.validation.format_check
    _edit(root, "ratio_floor = 0.5", "ratio_floor = 2")
    with pytest.raises(TaskError, match="ratio_floor"):
        load_kernel("szx", root)


def test_floor_is_a_fraction_of_each_case_with_an_absolute_minimum():
    """floors() scales every starting ratio; check_floor names the case furthest below, NaN fails too."""
    start = {"validation:a": 4.0, "validation:b": 2.0, "benchmark:c": 3.0}
    case_floors = floors(Integrity(ratio_floor=0.5, min_ratio=1.5), start)
    assert case_floors == {"validation:a": 2.0, "validation:b": 1.5, "benchmark:c": 1.5}
    assert check_floor({"validation:a": 2.0, "validation:b": 1.5, "benchmark:c": 9.0}, case_floors).ok
    failed = check_floor({"validation:a": 1.0, "validation:b": 1.4, "benchmark:c": math.nan}, case_floors)
    assert not failed.ok and failed.failing == 3 and failed.case in ("validation:a", "benchmark:c")
    assert "below the task's floor" in failed.detail()
    assert not check_floor({"new-case": 0.9}, {}, min_ratio=1.0).ok


def test_case_ratios_key_validation_and_benchmark_cases():
    """Each validated case contributes 'validation:<dataset>'; cases without a ratio are left out."""
    cases = [CaseResult(dataset="x@rel=0.01", n=4, dtype="float32", eb=0.1, verdict=Verdict.ok, ratio=3.0),
             CaseResult(dataset="y@rel=0.01", n=4, dtype="float32", eb=0.1, verdict=Verdict.ok)]
    assert case_ratios(ValidationResult(verdict=Verdict.ok, cases=cases), None) == {"validation:x@rel=0.01": 3.0}


def test_objective_values():
    """compress, decompress, and the geometric mean (0 when either side is missing)."""
    assert objective_value(Objective.compress_gbps, 4.0, 1.0) == 4.0
    assert objective_value(Objective.decompress_gbps, 4.0, 1.0) == 1.0
    assert objective_value(Objective.gmean_gbps, 4.0, 1.0) == 2.0
    assert objective_value(Objective.gmean_gbps, 4.0, None) == 0.0


def test_reference_ratios_are_the_reference_codec_stream_sizes():
    """reference_ratios is input bytes over the numpy codec's stream bytes on each case (a constant field compresses)."""
    suite = Suite(datasets=("constant:4096", "grf_rough:8x16x16"), relative_bounds=(1e-3,))
    problems = build_problems(suite)
    ratios = reference_ratios("szx", {}, problems, ())
    assert set(ratios) == {f"validation:{p.dataset}" for p in problems}
    assert ratios["validation:constant:4096@rel=0.001"] > 20 > ratios["validation:grf_rough:8x16x16@rel=0.001"] > 1
    assert np.isfinite(list(ratios.values())).all()
