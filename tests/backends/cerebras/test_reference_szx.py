"""The SZx block-quantizer reference translation: conventions, capacity and error bound of its design."""

from __future__ import annotations

import numpy as np
import pytest

from szagents.backends.child import checks
from szagents.backends.cerebras import cap_words, check_sources
from szagents.backends.cerebras.conventions import host_params

from . import szx_model
from .conftest import REFERENCE

CHUNK = 2048


def _cases() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    t = np.arange(CHUNK, dtype=np.float64)
    specials = rng.normal(0, 1, CHUNK)
    specials[[5, 300, 301, 1500]] = [np.nan, np.inf, -np.inf, np.nan]
    far_low = rng.uniform(-1, 1, CHUNK)
    far_low[::128] = -1.0e3  # small values coded against a distant minimum: f32 rounding needs the margin
    return {
        "far_low": far_low,
        "sine": np.sin(t / 40),
        "noise": rng.normal(0, 1, CHUNK),
        "offset": 1.0e4 + rng.normal(0, 1, CHUNK),  # large values, tiny eb relative to them
        "spread": np.where(t % 2 == 0, -1.0e3, 1.0e-3) + rng.normal(0, 1e-2, CHUNK),  # far ends in one block
        "constant": np.full(CHUNK, 3.25),
        "specials": specials,
        "tail": np.sin(t[:1000] / 7),  # a partial last block
    }


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # inf - inf in the check
@pytest.mark.parametrize("eb", [1e-1, 1e-2, 1e-3, 1e-5])
@pytest.mark.parametrize("name", sorted(_cases()))
def test_design_keeps_the_bound_and_the_capacity(name, eb):
    """Every value within eb (+4 ulp) in f32 arithmetic; the stream fits the szx capacity per PE."""
    data = _cases()[name].astype(np.float32)
    eb32 = float(np.float32(eb))
    words = szx_model.compress(data, eb32)
    assert 0 < len(words) <= cap_words("szx", {}, CHUNK)
    decoded = szx_model.decompress(words, data.size, eb32)
    report = checks.bound_report(np, data, decoded, eb32)
    assert report["violations"] == 0, report["first"]
    assert checks.unwritten_count(np, decoded, data)[0] == 0


def test_smooth_data_compresses():
    """On smooth data at eb=1e-3 the stream is several times smaller than the input."""
    data = _cases()["sine"].astype(np.float32)
    assert data.nbytes / (4 * len(szx_model.compress(data, 1e-3))) > 2.5


@pytest.mark.parametrize("width,height", [(4, 1), (8, 1), (2, 2)])
def test_reference_follows_the_conventions(width, height):
    """The static checks find nothing in the reference on a row of PEs or a rectangle."""
    sources = {p.name: p.read_text() for p in REFERENCE.glob("*.csl")}
    assert set(sources) == {"layout.csl", "pe.csl"}
    assert check_sources(sources, host_params(width, height, CHUNK, cap_words("szx", {}, CHUNK)), 42 * 1024) == []
