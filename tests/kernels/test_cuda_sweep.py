"""bench/cuda_sweep.py without a GPU: its variants name real tuning defines, the one-line defaults
are read and rewritten as the sources expect (and still compile), a worker that crashes or hangs
costs only its variant, and the report recommends the fastest variant whose bytes match."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench_scripts import load_bench

REPO = Path(__file__).resolve().parents[2]



sweep = load_bench("cuda_sweep")


def test_every_variant_define_is_one_its_source_reads():
    for v in sweep.VARIANTS:
        text = v.source.read_text()
        for key, _ in v.defines:
            assert f"#ifndef {key}\n" in text, f"{v.name}: {key} is not a define of {v.source}"


def test_every_kernel_and_mode_has_a_base_and_a_default_in_the_quick_set():
    quick = sweep.select(sweep.VARIANTS, "", quick=True)
    for kernel, mode in {(v.kernel, v.mode) for v in sweep.VARIANTS}:
        tags = {v.tag for v in quick if (v.kernel, v.mode) == (kernel, mode)}
        assert {"base", "default"} <= tags, (kernel, mode, tags)
    only = sweep.select(sweep.VARIANTS, "szx-ra-w4", quick=False)
    assert [v.name for v in only] == ["szx-ra-base", "szx-ra-w4"]


def test_defaults_lines_match_the_documented_fields():
    for kernel, fields in sweep.DEFAULT_FIELDS.items():
        line, values = sweep.defaults_line(REPO / "kernels" / kernel / "reference.cu", kernel)
        assert len(values) == len(fields) and all(v.isdigit() for v in values), line


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc is not on PATH")
def test_an_adopted_defaults_line_takes_effect(tmp_path):
    src = tmp_path / "reference.cu"
    src.write_text((REPO / "kernels" / "szx" / "reference.cu").read_text())
    old, values = sweep.defaults_line(src, "szx")
    new = sweep.adopted_line("szx", [["SZX_WARPS", "4"]], src)
    assert new == f"#define SZX_DEFAULTS 4, {values[1]}, {values[2]}" != old  # the other fields as they are
    src.write_text(src.read_text().replace(old + "\n", new + "\n"))
    probe = tmp_path / "probe.cu"
    probe.write_text(f'#include "{src}"\nstatic_assert(kWarps == 4, "the adopted default");\n')
    proc = subprocess.run(["nvcc", "-arch=sm_90", "-c", "-I", str(REPO / "kernels" / "abi"), str(probe),
                           "-o", str(tmp_path / "probe.o")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    with pytest.raises(ValueError, match="not one of"):
        sweep.adopted_line("szx", [["SZX_BLOCKS", "4"]], src)


FAKE_WORKER = r"""
import json, os, sys, time
for job in json.load(open(sys.argv[1])):
    print("SWEEP-BEGIN " + json.dumps(job["name"]), flush=True)
    if job["name"] == "crash":
        os._exit(7)
    if job["name"] == "hang":
        time.sleep(60)
    print("SWEEP-RESULT " + json.dumps({"variant": job["name"], "sizes": {}, "failures": 0}), flush=True)
"""


@pytest.mark.slow
def test_a_crash_or_a_hang_costs_only_that_variant(tmp_path, monkeypatch):
    script = tmp_path / "worker.py"
    script.write_text(FAKE_WORKER)
    monkeypatch.setattr(sweep, "worker_cmd", lambda args, job_file, profile=False: [sys.executable, str(script),
                                                                                   str(job_file)])
    args = type("Args", (), {"out": tmp_path, "timeout": 2.0, "budget": 100.0})()
    log = sweep.Log(tmp_path / "log.txt")
    jobs = [{"name": n} for n in ("a", "crash", "b", "hang", "c")]
    results = sweep.run_jobs(jobs, args, log, deadline=sweep.time.time() + 100)
    assert set(results) == {"a", "crash", "b", "hang", "c"}
    assert "error" not in results["a"] and "error" not in results["b"] and "error" not in results["c"]
    assert "exited 7" in results["crash"]["error"] and "timed out" in results["hang"]["error"]
    skipped = sweep.run_jobs(jobs, args, log, deadline=sweep.time.time() - 1)
    assert all("skipped" in r["error"] for r in skipped.values())


def _cell(ms_c: float, ms_d: float, fp: str, nbytes: int = 1 << 28) -> dict:
    return {"input_bytes": nbytes, "compressed_bytes": nbytes // 4, "eb": 1e-3, "bound_ok": True,
            "fingerprint": fp, "compress": {"median_ms": ms_c, "run_ms": [ms_c] * 3},
            "decompress": {"median_ms": ms_d, "run_ms": [ms_d] * 3}}


def test_the_report_recommends_the_fastest_variant_with_identical_bytes(tmp_path):
    v = sweep.SweepVariant
    variants = [v("szp", m, t) for t in ("base", "default", "fast", "wrong") for m in ("plain", "outlier")]
    variants += [v("szx", "ra", "base"), v("szx", "ra", "default", (("SZX_WARPS", "4"),))]
    speed = {"base": 1.0, "default": 0.5, "fast": 0.25, "wrong": 0.1}  # ms; "wrong" writes other bytes
    results = {x.name: {"variant": x.name, "failures": 0, "checks": [],
                        "sizes": {"grf256m": _cell(speed[x.tag], speed[x.tag], "bad" if x.tag == "wrong" else "fp")}}
               for x in variants}
    results["cuszp"] = {"variant": "cuszp", "copy_gbps": 4000.0,
                        "sizes": {f"grf256m/{m}": _cell(0.8, 0.8, "fp") for m in ("plain", "outlier")}}
    built = {x.name: {"spills": False} for x in variants}
    log = sweep.Log(tmp_path / "log.txt")
    sweep.compare_bytes(results, variants)
    assert not results["szp-plain-wrong"]["sizes"]["grf256m"]["same_as_base"]
    sweep.variant_table(results, variants, built, ["grf256m"], log)
    rec = sweep.recommend(results, variants, built, ["grf256m"], log)
    assert rec["szp"]["tag"] == "fast" and rec["szp"]["score"] == pytest.approx(4.0)
    _, values = sweep.defaults_line(REPO / "kernels" / "szx" / "reference.cu", "szx")
    assert rec["szx"]["line"] == f"#define SZX_DEFAULTS 4, {values[1]}, {values[2]}"
    goals = sweep.goals(results, rec, ["grf256m"], log)
    assert goals["szp/plain/grf256m/compress/x_cuszp"] == pytest.approx(3.2)
    assert "szp-plain-fast" in (tmp_path / "log.txt").read_text()
    report = tmp_path / "sweep.json"
    report.write_text(json.dumps({"recommended": {}}))
    assert sweep.adopt(report) == 1  # nothing recommended: nothing written
