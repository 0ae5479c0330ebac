"""The scripted models of the cuda strategy runs (tests/gpu/test_strategies_cuda.py) still fit the kernels they edit:
checked here, without a GPU, so that a change to kernels/szx/*.cu cannot quietly turn the GPU tests into tests of
nothing."""

from __future__ import annotations

from szagents.models.scripted import load_script, resolve_args
from szagents.paths import kernels_dir
from szagents.strategies.edits import EditError, apply_reply

SZX = kernels_dir() / "szx"


def test_the_cuda_optimizer_submits_the_reference_broken_then_whole():
    """Step 1 writes the CUDA reference less one semicolon, step 2 the reference itself; both submit."""
    script = load_script("optimize_szx_cuda")
    calls = [(i, c.name, resolve_args(c.args, script, f"step {i}")) for i, s in enumerate(script.steps)
             for c in s.tool_calls]
    writes = [args["content"] for _, name, args in calls if name == "write_file"]
    reference = (SZX / "reference.cu").read_text()
    assert [name for _, name, _ in calls] == ["read_file", "write_file", "submit", "write_file", "submit"]
    assert writes[1] == reference and writes[0] != reference
    assert writes[0].replace("lay.total\n", "lay.total;\n", 1) == reference
    assert not script.steps[-1].tool_calls  # it stops


def test_the_cuda_mutators_edits_apply_to_the_baseline_but_the_one_meant_to_miss():
    """Every reply applies to kernel.cu (the naive baseline) except the third, whose SEARCH matches nothing."""
    baseline = {"kernel.cu": (SZX / "baseline.cu").read_bytes()}
    applied, missed = [], []
    for i, step in enumerate(load_script("evolve_szx_cuda").steps):
        try:
            applied.append(apply_reply(step.content, baseline, "kernel.cu", diff=True)["kernel.cu"].decode())
        except EditError:
            missed.append(i)
    assert missed == [2] and len(applied) == 4
    assert "info[b] = bi\n}" in applied[0]  # the compile error
    assert "threads = 256" in applied[1] and "threads = 64" in applied[2]
    assert "threads = 256" in applied[3] and "threads = 64" in applied[3]
