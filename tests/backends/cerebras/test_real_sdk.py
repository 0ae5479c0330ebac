"""Against the real Cerebras SDK (run with -m cerebras where it is installed); skipped elsewhere.

None of the other tests of this folder touch the real SDK: this is the one that can tell whether
the conventions, the cslc command line and the host harness hold on a real simulator or system.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from szagents.backends.cerebras import CerebrasBackend
from szagents.backends.protocol import Problem
from szagents.backends.results import Verdict

from .conftest import SKELETON, SPEC

pytestmark = pytest.mark.cerebras


def test_skeleton_compiles_runs_and_reports_its_stub_status(tmp_path):
    """The skeleton compiles with cslc, every transfer and launch works, and its status 1 comes back."""
    backend = CerebrasBackend()  # configured by SZAGENTS_CEREBRAS_* variables
    state = backend.availability()
    if not state.available:
        pytest.skip(f"Cerebras SDK not usable here: {state.reason} ({state.fix})")
    for name in ("layout.csl", "pe.csl"):
        shutil.copyfile(SKELETON / name, tmp_path / name)
    build = backend.compile([tmp_path / "layout.csl", tmp_path / "pe.csl"], SPEC, tmp_path)
    assert build.ok, build.log
    data = np.linspace(0, 1, 3000, dtype=np.float32)
    result = backend.validate(build, SPEC, [Problem("linspace:3000", data, 1e-3)], tmp_path)
    assert result.verdict is Verdict.error_status and "reported status 1" in result.detail, result
