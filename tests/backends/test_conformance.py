"""The built-in cpu and cuda backends pass the conformance suite that ships in the package."""

from __future__ import annotations

from pathlib import Path

import pytest

from szagents.backends import conformance
from szagents.backends.cpu import CpuBackend, CpuConfig
from szagents.backends.cuda import CudaBackend, CudaConfig
from szagents.backends.protocol import Guidance, KernelSpec
from szagents.backends.results import Verdict
from szagents.backends.sandbox import Limits

HERE = Path(__file__).parent
SPEC = KernelSpec(codec="raw")  # the adversarial kernels' stream: no reference codec


def _cpu_subject() -> conformance.Subject:
    folder, common = HERE / "adversarial", HERE / "adversarial" / "raw_common.h"
    backend = CpuBackend(CpuConfig(run_limits=Limits(wall_seconds=20, address_space_bytes=4 << 30)))
    return conformance.Subject(backend, good=[folder / "honest.c", common], broken=[folder / "syntax_error.c", common],
                               wrong=[folder / "off_by_bound.c", common], spec=SPEC, problems=conformance.sample_problems())


@pytest.mark.parametrize("check", conformance.CHECKS, ids=conformance.CHECK_NAMES)
def test_cpu_backend_keeps_the_contract(check, tmp_path):
    """Each check of the suite passes on the cpu backend with real gcc and the real sandbox."""
    check(_cpu_subject(), tmp_path)


def test_the_suite_catches_a_backend_that_breaks_the_contract(tmp_path):
    """A backend that calls every kernel correct fails the wrong-kernel check (the suite is not a rubber stamp)."""
    subject = _cpu_subject()

    class Lenient(CpuBackend):
        def validate(self, build, spec, problems, workdir):
            result = super().validate(build, spec, problems, workdir)
            return result.model_copy(update={"verdict": Verdict.ok}) if build.ok else result

    lenient = conformance.Subject(Lenient(subject.backend.config), subject.good, subject.broken, subject.wrong,
                                  subject.spec, subject.problems)
    with pytest.raises(conformance.ConformanceError, match="validated ok"):
        conformance.check_wrong_kernel_fails(lenient, tmp_path)


def test_the_suite_catches_a_guidance_template_that_is_not_there(tmp_path):
    """A backend whose guidance names a missing template fails the guidance check; one naming none passes it."""
    subject = _cpu_subject()

    class Misguided(CpuBackend):
        requirements = CpuBackend.requirements.model_copy(update={"guidance": Guidance(tuning=tmp_path / "gone.md.j2")})

    misguided = conformance.Subject(Misguided(subject.backend.config), subject.good, subject.broken, subject.wrong,
                                    subject.spec, subject.problems)
    with pytest.raises(conformance.ConformanceError, match="guidance.tuning: .*gone.md.j2 is not a file"):
        conformance.check_guidance(misguided, tmp_path)
    Misguided.requirements = CpuBackend.requirements.model_copy(update={"guidance": Guidance()})
    conformance.check_guidance(misguided, tmp_path)


@pytest.mark.parametrize(("name", "cls"), [("cpu", CpuBackend), ("cuda", CudaBackend)])
def test_builtin_backends_are_registered(name, cls):
    """The registry builds cpu and cuda as their classes, with the requirements they state."""
    conformance.check_registered(name, cls)


@pytest.mark.gpu
@pytest.mark.parametrize("check", conformance.CHECKS, ids=conformance.CHECK_NAMES)
def test_cuda_backend_keeps_the_contract(check, tmp_path):
    """Each check of the suite passes on the cuda backend (GPU, CuPy and nvcc)."""
    backend = CudaBackend(CudaConfig(run_limits=Limits(wall_seconds=60, address_space_bytes=None)))
    state = backend.availability()
    if not state.available:
        pytest.skip(f"cuda backend unavailable here: {state.reason}")
    folder = HERE / "adversarial_cuda"
    broken = tmp_path / "broken.cu"
    broken.write_text((folder / "honest.cu").read_text() + "\nthis is not CUDA;\n")
    common = folder / "raw_common.cuh"
    subject = conformance.Subject(backend, good=[folder / "honest.cu", common], broken=[broken, common],
                                  wrong=[folder / "skips_outputs.cu", common], spec=SPEC,
                                  problems=conformance.sample_problems())
    check(subject, tmp_path)
