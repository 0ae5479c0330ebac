"""Fixtures: the fake Cerebras SDK on PATH (cslc, cs_python, singularity) and on sys.path (client)."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from szagents.backends.cerebras import CerebrasBackend, CerebrasConfig
from szagents.backends.protocol import KernelSpec, Problem
from szagents.backends.results import ValidationResult
from szagents.backends.sandbox import Limits

FAKES = Path(__file__).resolve().parent / "fakes"
SKELETON = Path(__file__).resolve().parents[3] / "cerebras" / "skeleton"
REFERENCE = Path(__file__).resolve().parents[3] / "cerebras" / "reference" / "szx_quantizer"
REPO = Path(__file__).resolve().parents[3]
SPEC = KernelSpec(codec="szp", options={"mode": "plain"})

def _wrapper(path: Path, script: str) -> None:
    path.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKES / script}" "$@"\n')
    path.chmod(0o755)


@pytest.fixture
def fake_bin(tmp_path, monkeypatch) -> Path:
    """A folder on PATH holding fake cslc, cs_python and singularity; a private build cache.

    The fake SDK container sees /tmp, where pytest's tmp_path lies too: a private folder plays the
    container's /tmp instead, so that the cache and the workspaces are as hidden as under ~.
    """
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in ("cslc", "cs_python", "singularity"):
        _wrapper(folder / tool, f"{tool}.py")
    (tmp_path / "container-tmp").mkdir()
    monkeypatch.setenv("SZAGENTS_FAKE_SDK_TMP", str(tmp_path / "container-tmp"))
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("SZAGENTS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), str(FAKES / "sdk"), str(FAKES)]))
    return folder


@pytest.fixture
def fake_client(fake_bin, tmp_path, monkeypatch) -> Path:
    """The fake cerebras.sdk.client importable here and in children; a usernode config file."""
    for name in [m for m in sys.modules if m == "cerebras" or m.startswith("cerebras.")]:
        monkeypatch.delitem(sys.modules, name)  # e.g. the repo's cerebras/ folder as a namespace package
    monkeypatch.syspath_prepend(str(FAKES))
    monkeypatch.syspath_prepend(str(FAKES / "sdk"))
    config = tmp_path / "config_v2"
    config.write_text(json.dumps({  # the shape cerebras-appliance's config loader reads
        "currentContext": "fake", "contexts": [{"name": "fake", "cluster": "wsc"}],
        "clusters": [{"name": "wsc", "server": "10.0.0.2:443", "authority": "cluster-server.fake"}]}))
    return config


@dataclass
class Program:
    """An agent workspace holding a CSL program built from the skeleton."""

    folder: Path

    @property
    def sources(self) -> list[Path]:
        return [self.folder / "layout.csl", self.folder / "pe.csl"]


def write_program(folder: Path, behaviour: str = "ok", edit: dict[str, str] | None = None) -> Program:
    """The skeleton with a fake-device behaviour marker, optionally with text replaced in pe.csl."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "layout.csl").write_text((SKELETON / "layout.csl").read_text())
    text = (SKELETON / "pe.csl").read_text()
    for old, new in (edit or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    (folder / "pe.csl").write_text(text + f"\n// FAKE_BEHAVIOUR: {behaviour}\n// FAKE_CODEC: szp plain\n")
    return Program(folder)


def small_config(**overrides: object) -> CerebrasConfig:
    """A 2x2 rectangle with small chunks, so a few hundred values take several rounds."""
    base = dict(width=2, height=2, chunk=256, bench_repetitions=2,
                run_limits=Limits(wall_seconds=20, cpu_seconds=None, address_space_bytes=None))
    return CerebrasConfig(**{**base, **overrides})


def problems() -> list[Problem]:
    """Two smooth cases, 2500 and 700 values: several rounds and an idle-PE tail."""
    x = np.sin(np.arange(2500, dtype=np.float64) / 40).astype(np.float32)
    return [Problem("sine:2500", x, 1e-3), Problem("ramp:700", np.linspace(-1, 1, 700, dtype=np.float32), 1e-2)]


def validate(backend: CerebrasBackend, program: Program, spec: KernelSpec = SPEC) -> ValidationResult:
    """Compile program and validate it on problems()."""
    return backend.validate(backend.compile(program.sources, spec, program.folder), spec, problems(), program.folder)


@pytest.fixture
def backend(fake_bin) -> CerebrasBackend:
    return CerebrasBackend(small_config())
