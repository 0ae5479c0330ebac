"""`szagents references` finds its backends and their reference kernels through the backend protocol."""

from __future__ import annotations

import pytest

from szagents.backends.registry import BUILTIN_BACKENDS, DEFAULT_BACKEND, get_backend, reference_backends
from szagents.tasks.task import kernel_names, load_kernel


@pytest.mark.parametrize("name", sorted(BUILTIN_BACKENDS))
def test_reference_sources_are_sources_of_every_bundled_kernel(name):
    """Each role a built-in backend names as its reference is a source of every bundled kernel, in a file it compiles."""
    backend = get_backend(name)
    suffix = backend.requirements.target_files[0].rpartition(".")[2]
    for kernel in kernel_names():
        sources = load_kernel(kernel).sources
        for role in backend.requirements.reference_sources:
            assert role in sources and sources[role].endswith(f".{suffix}"), (name, kernel, role)


def test_default_backends_are_cpu_and_cuda_where_they_run():
    """Without --backend the command uses what it always used: cpu, and cuda where it can run (never cerebras,
    which names no reference kernels)."""
    expected = [b for b in ("cpu", "cuda") if get_backend(b).availability().available]
    assert reference_backends() == expected
    assert get_backend("cerebras").requirements.reference_sources == ()


def test_validate_defaults_to_the_cpu_backend():
    """The backend `szagents validate` uses when none is named is the cpu backend, as before."""
    assert DEFAULT_BACKEND == "cpu" and get_backend(DEFAULT_BACKEND).requirements.gpu is False
