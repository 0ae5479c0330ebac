"""A backend registered by entry point, as an installed third-party distribution would, is found and conforms."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from szagents.backends import conformance, registry
from szagents.backends.protocol import KernelSpec
from szagents.backends.registry import backend_names, get_backend, needs_gpu
from szagents.errors import UnknownSpecError
from szagents.workspace.layout import target_files

HERE = Path(__file__).parent
GOOD = "import numpy as np\n\ndef compress(x, eb):\n    return np.ascontiguousarray(x).tobytes()\n\n" \
       "def decompress(stream, n, eb):\n    return np.frombuffer(stream, np.float32, n)\n"


def _install(site: Path, dist: str, module: str, entry: str) -> None:
    """A distribution in site, as pip leaves one: the module and a dist-info naming its entry point."""
    shutil.copyfile(HERE / "toy_backend.py", site / f"{module}.py")
    info = site / f"{dist}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[szagents.backends]\n{entry}\n")


@pytest.fixture
def toy_site(tmp_path, monkeypatch) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    _install(site, "szagents_toy", "szagents_toy_backend", "toy = szagents_toy_backend:ToyBackend")
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop("szagents_toy_backend", None)


def _subject(tmp_path: Path) -> conformance.Subject:
    good, broken, wrong = (tmp_path / f"{n}.py" for n in ("good", "broken", "wrong"))
    good.write_text(GOOD)
    broken.write_text(GOOD + "\ndef oops(:\n")
    wrong.write_text(GOOD.replace("return np.frombuffer(stream, np.float32, n)",
                                  "return np.frombuffer(stream, np.float32, n) + np.float32(2 * eb)"))
    return conformance.Subject(get_backend("toy"), good=[good], broken=[broken], wrong=[wrong],
                               spec=KernelSpec(codec="raw"), problems=conformance.sample_problems(512))


def test_entry_point_backend_is_discovered(toy_site):
    """The registry lists and builds the plug-in through importlib.metadata, and the layers above use its needs."""
    assert "toy" in backend_names()
    conformance.check_registered("toy", type(get_backend("toy")))
    assert type(get_backend("toy")).__module__ == "szagents_toy_backend"
    assert needs_gpu("toy") is False


def test_without_the_distribution_the_name_is_unknown():
    """No dist-info on the path: the registry does not know the plug-in (the test above is not a tautology)."""
    assert "toy" not in backend_names()
    with pytest.raises(UnknownSpecError, match="unknown backend 'toy'"):
        get_backend("toy")


def test_a_built_in_name_is_the_built_in_and_needs_no_scan(tmp_path, monkeypatch):
    """A distribution that registers `cpu` does not replace the built-in backend, and a built-in name is resolved
    without reading any distribution's metadata (that scan cost about 14 ms on every evaluation)."""
    site = tmp_path / "site"
    site.mkdir()
    _install(site, "szagents_shadow", "szagents_shadow_backend", "cpu = szagents_shadow_backend:ToyBackend")
    monkeypatch.syspath_prepend(str(site))
    assert backend_names().count("cpu") == 1

    def no_scan(**_):
        raise AssertionError("the entry points were scanned for a built-in name")

    monkeypatch.setattr(registry, "entry_points", no_scan)
    assert type(get_backend("cpu")).__module__.startswith("szagents.backends.cpu")
    assert "szagents_shadow_backend" not in sys.modules
    with pytest.raises(AssertionError, match="scanned"):  # a name that is not built in is still looked up
        get_backend("toy")


@pytest.mark.parametrize("check", conformance.CHECKS, ids=conformance.CHECK_NAMES)
def test_entry_point_backend_keeps_the_contract(check, toy_site, tmp_path):
    """The plug-in passes every check of the suite the built-in backends pass."""
    check(_subject(tmp_path), tmp_path)


def test_a_plugin_without_the_protocol_is_refused(tmp_path, monkeypatch):
    """An entry point to an object lacking the protocol's members is refused with what it lacks."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "szagents_hollow.py").write_text("class Hollow:\n    name = 'hollow'\n")
    info = site / "szagents_hollow-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: szagents_hollow\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[szagents.backends]\nhollow = szagents_hollow:Hollow\n")
    monkeypatch.syspath_prepend(str(site))
    try:
        with pytest.raises(UnknownSpecError, match="lacks requirements, availability, compile"):
            get_backend("hollow")
    finally:
        sys.modules.pop("szagents_hollow", None)


def test_workspace_conventions_come_from_the_plugin(toy_site):
    """A task targeting the plug-in gets the plug-in's target files (nothing above backends names it)."""
    from szagents.tasks.catalog import get_task

    task = get_task("szx-optimize-cpu").model_copy(update={"target": "toy"})
    assert target_files(task) == ("kernel.py",)


def test_a_plugin_without_guidance_gets_the_generic_text(toy_site):
    """The plug-in names no templates: its task's prompts and README carry the generic ABI, guidance and tuning."""
    from szagents.prompts import render_prompt
    from szagents.tasks.catalog import get_task
    from szagents.workspace.materialize import render_readme

    task = get_task("szx-optimize-cpu").model_copy(update={"target": "toy"})
    prompt = render_prompt("single", "expert", task)
    assert "Pointers are host pointers and `stream` is NULL." in prompt
    assert "## Architecture guidance" in prompt and "memory-bound when done well" in prompt
    assert "`kernel.py` is what gets compiled, with any headers" in prompt
    assert "Pointers are host pointers; `stream` is NULL." in render_readme(task)
