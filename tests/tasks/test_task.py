"""Task definitions: kernels/<k>/task.toml loads into validated values; bad files fail clearly."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from szagents.errors import TaskError, UnknownSpecError
from szagents.paths import kernels_dir
from szagents.tasks.catalog import get_task, load_tasks
from szagents.tasks.evaluate import build_problems, kernel_spec
from szagents.tasks.task import Mode, Suite, load_kernel


def test_shipped_kernels_load_with_their_sources():
    """szp and szx load, every source role points to an existing file, variants carry defines."""
    szp = load_kernel("szp")
    assert set(szp.sources) >= {"serial_c", "reference_c", "reference_cu", "baseline_cu"}
    assert all(szp.source_path(role).exists() for role in szp.sources)
    assert kernel_spec(szp, "outlier").defines == {"SZP_OUTLIER": "1"}
    assert kernel_spec(szp, "plain").options == {"mode": "plain"}
    assert load_kernel("szx").codec == "szx"


def test_task_ids_are_unique_and_resolvable():
    """Every task has a distinct id and get_task finds it again."""
    tasks = load_tasks()
    ids = [t.id for t in tasks]
    assert len(ids) == len(set(ids)) and "szp-translate-cuda" in ids and "szx-optimize-cuda" in ids
    task = get_task("szp-optimize-cuda-outlier")
    assert task.mode is Mode.optimize and task.variant == "outlier" and task.source == "baseline_cu"


def _kernel_copy(tmp_path: Path, name: str = "szx") -> Path:
    root = tmp_path / "kernels"
    shutil.copytree(kernels_dir() / name, root / name)
    return root


def test_invalid_toml_names_the_file(tmp_path):
    """A syntax error in task.toml raises TaskError naming the file."""
    root = _kernel_copy(tmp_path)
    (root / "szx" / "task.toml").write_text("[kernel\nname = 'szx'\n")
    with pytest.raises(TaskError, match="task.toml is not valid TOML"):
        load_kernel("szx", root)


def test_missing_source_file_is_reported(tmp_path):
    """A task.toml naming a source that does not exist raises TaskError naming it."""
    root = _kernel_copy(tmp_path)
    (root / "szx" / "serial.c").unlink()
    with pytest.raises(TaskError, match="serial_c = 'serial.c' does not exist"):
        load_kernel("szx", root)


def test_bad_bounds_and_unknown_names(tmp_path):
    """Relative bounds outside (0, 1) and unknown kernels/tasks/variants are typed errors."""
    root = _kernel_copy(tmp_path)
    path = root / "szx" / "task.toml"
    path.write_text(path.read_text().replace("relative_bounds = [1e-2, 1e-3, 1e-4]", "relative_bounds = [0, 2]", 1))
    with pytest.raises(TaskError, match="relative_bounds"):
        load_kernel("szx", root)
    with pytest.raises(UnknownSpecError, match="known kernels: szp, szx"):
        load_kernel("nope")
    with pytest.raises(UnknownSpecError, match="no variant 'fast'"):
        load_kernel("szp").variant("fast")
    with pytest.raises(UnknownSpecError, match="unknown task"):
        get_task("szp-teleport-cuda")


def test_problems_use_absolute_bounds_from_the_value_range():
    """build_problems turns each relative bound into rel x (max - min) of the dataset."""
    problems = build_problems(Suite(datasets=("grf_rough:8x8x8",), relative_bounds=(1e-2, 1e-3)))
    data = problems[0].data
    assert [p.eb for p in problems] == pytest.approx([r * float(data.max() - data.min()) for r in (1e-2, 1e-3)])
    constant = build_problems(Suite(datasets=("constant:100",), relative_bounds=(1e-3,)))[0]
    assert constant.eb > 0 and np.all(constant.data == constant.data[0])


def test_a_quick_run_benchmarks_the_quick_datasets_and_validates_as_usual(tmp_path):
    """RunConfig(quick=True) resolves the task with its [benchmark] quick_datasets (a quarter of the climate
    field); a full run benchmarks the whole field; validation is the same suite in both; a task file without
    quick_datasets benchmarks its datasets either way."""
    from szagents.roles.team import Team
    from szagents.run.config import RunConfig

    team = Team.single("scripted:demo")
    full = RunConfig(task="szx-optimize-cpu", team=team).resolved_task()
    quick = RunConfig(task="szx-optimize-cpu", team=team, quick=True).resolved_task()
    assert full.kernel.benchmark.datasets == ("climate",)
    assert quick.kernel.benchmark.datasets == ("climate:900x1800",)
    assert quick.kernel.validation == full.kernel.validation and quick.id == full.id
    [problem] = build_problems(quick.kernel.benchmark, quick.kernel.dtype)
    assert problem.data.size == 900 * 1800

    root = _kernel_copy(tmp_path)
    toml = root / "szx" / "task.toml"
    toml.write_text("\n".join(line for line in toml.read_text().splitlines() if not line.startswith("quick_datasets")))
    plain = load_kernel("szx", root).benchmark
    assert plain.quick() == plain and plain.quick().datasets == ("climate",)
