"""The cerebras backend passes the package's conformance suite on the fake SDK."""

from __future__ import annotations

import pytest

from szagents.backends import conformance
from szagents.backends.cerebras import CerebrasBackend
from .conftest import SPEC, problems, write_program

_BROKEN = {"  info[2] = 0;": "  info[2] = 0; // FAKE_COMPILE_ERROR: use of undeclared identifier 'nbits'"}


@pytest.mark.parametrize("check", conformance.CHECKS, ids=conformance.CHECK_NAMES)
def test_cerebras_backend_keeps_the_contract(check, backend, tmp_path):
    """Each check of the suite passes with the fake cslc and cs_python."""
    good = write_program(tmp_path / "good").sources
    broken = write_program(tmp_path / "broken", edit=_BROKEN).sources
    wrong = write_program(tmp_path / "wrong", behaviour="wrong").sources
    subject = conformance.Subject(backend, good=good, broken=broken, wrong=wrong, spec=SPEC, problems=problems())
    check(subject, tmp_path)


def test_cerebras_is_registered():
    """The registry builds cerebras as CerebrasBackend with the requirements it states."""
    conformance.check_registered("cerebras", CerebrasBackend)
