"""A task's starting workspace: the right files under the conventional names, and a README."""

from __future__ import annotations

from szagents.paths import kernels_dir
from szagents.tasks.catalog import get_task, load_tasks
from szagents.workspace import materialize, starting_file, target_files, target_sources


def test_szx_cpu_optimize_starts_from_the_serial_source_as_kernel_c(tmp_path):
    """Optimizing on cpu: kernel.c is a copy of serial.c, and it is what gets compiled."""
    task = get_task("szx-optimize-cpu")
    ws = materialize(task, tmp_path)
    assert ws.root == (tmp_path / "workspace").resolve()
    assert sorted(ws.list_files()) == ["README.md", "kernel.c", "sz_abi.h"]
    assert (ws.root / "kernel.c").read_bytes() == task.kernel.source_path("serial_c").read_bytes()
    assert (ws.root / "sz_abi.h").read_bytes() == (kernels_dir() / "abi" / "sz_abi.h").read_bytes()
    assert [p.name for p in target_sources(task, ws)] == ["kernel.c", "sz_abi.h"]
    readme = ws.read_text("README.md")
    assert "`kernel.c`" in readme and "faster" in readme and "|x - x'| <= eb" in readme


def test_szp_cuda_translate_keeps_the_source_and_asks_for_kernel_cu(tmp_path):
    """Translating to cuda: serial.c is there to read, kernel.cu is to be written."""
    task = get_task("szp-translate-cuda")
    ws = materialize(task, tmp_path)
    assert "serial.c" in ws.list_files() and "kernel.cu" not in ws.list_files()
    assert target_files(task) == ("kernel.cu",)
    assert [p.name for p in target_sources(task, ws)] == ["sz_abi.h"]  # nothing compilable yet
    readme = ws.read_text("README.md")
    assert "Translate" in readme and "`kernel.cu`" in readme and "cudaStream_t" in readme
    assert "40 model calls" in readme and "climate:360x720" in readme


def test_outlier_variant_names_its_define(tmp_path):
    """The README says which -D flags the build uses."""
    ws = materialize(get_task("szp-optimize-cuda-outlier"), tmp_path)
    assert "-DSZP_OUTLIER=1" in ws.read_text("README.md")


def test_existing_workspace_is_kept_on_resume(tmp_path):
    """A second materialize keeps the agent's edits."""
    task = get_task("szx-optimize-cpu")
    ws = materialize(task, tmp_path)
    ws.write_text("kernel.c", "/* agent work */\n")
    materialize(task, tmp_path)
    assert ws.read_text("kernel.c") == "/* agent work */\n"


def test_every_shipped_task_materializes(tmp_path):
    """All tasks have a naming convention and a starting file."""
    for task in load_tasks():
        ws = materialize(task, tmp_path / task.id)
        assert starting_file(task) in ws.list_files()


def test_cerebras_workspace_gets_conventions_and_skeleton(tmp_path):
    """A cerebras task's workspace holds CEREBRAS.md and the skeleton layout/PE programs, all compiled."""
    from szagents.tasks.catalog import get_task
    from szagents.workspace.layout import target_sources
    from szagents.workspace.materialize import materialize

    task = get_task("szx-translate-cerebras")
    workspace = materialize(task, tmp_path)
    assert {"CEREBRAS.md", "layout.csl", "pe.csl", "serial.c"} <= set(workspace.list_files())
    workspace.write_text("codec.csl", "// an extra module the layout imports\n")
    assert [p.name for p in target_sources(task, workspace)][:2] == ["layout.csl", "pe.csl"]
    assert "codec.csl" in [p.name for p in target_sources(task, workspace)]
    workspace.write_text("layout.csl", "// agent's own layout\n")
    assert materialize(task, tmp_path).read_text("layout.csl").endswith("agent's own layout\n")
