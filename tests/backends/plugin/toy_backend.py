"""A third-party-style backend, as a plug-in would ship it: kernels are Python files run in-process.

A kernel defines `compress(x: numpy.ndarray, eb: float) -> bytes` and `decompress(stream: bytes,
n: int, eb: float) -> numpy.ndarray`. Not sandboxed: it exists to prove the entry-point path and the
conformance suite on a backend szagents knows nothing about.
"""

from __future__ import annotations

import hashlib
import py_compile
import runpy
import time
from pathlib import Path

import numpy as np

from szagents.backends.protocol import Availability, Requirements
from szagents.backends.results import (
    BenchmarkCase, BenchmarkResult, CaseResult, CompileResult, Environment, Timing, ValidationResult, Verdict,
)


class ToyBackend:
    """Python kernels, checked against the error bound in this process."""

    name = "toy"
    requirements = Requirements(target_files=("kernel.py",), description="Python with numpy")

    def availability(self) -> Availability:
        return Availability(available=True, can_compile=True)

    def compile(self, sources, spec, workdir) -> CompileResult:
        path = Path(sources[0])
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        common = dict(backend=self.name, compiler="py_compile", command=["py_compile", path.name],
                      sources=[str(path)], content_sha256=digest)
        try:
            py_compile.compile(str(path), cfile=str(Path(workdir) / "kernel.pyc"), doraise=True)
        except py_compile.PyCompileError as exc:
            return CompileResult(ok=False, log=str(exc), **common)
        return CompileResult(ok=True, library=path, **common)

    def _round_trip(self, build, problem):
        kernel = runpy.run_path(str(build.library))
        stream = kernel["compress"](problem.data, problem.eb)
        out = np.asarray(kernel["decompress"](stream, problem.data.size, problem.eb), dtype=problem.data.dtype)
        error = float(np.max(np.abs(out.astype(np.float64) - problem.data.astype(np.float64))))
        return kernel, stream, error

    def validate(self, build, spec, problems, workdir) -> ValidationResult:
        if not build.ok:
            return ValidationResult(verdict=Verdict.compile_error, detail="the build failed; see the compile log")
        cases = []
        for p in problems:
            _, stream, error = self._round_trip(build, p)
            verdict = Verdict.ok if error <= p.eb else Verdict.bound_violation
            cases.append(CaseResult(dataset=p.dataset, n=p.data.size, dtype=p.data.dtype.name, eb=p.eb, verdict=verdict,
                                    compressed_bytes=len(stream), ratio=p.data.nbytes / len(stream), max_abs_error=error))
            if verdict is not Verdict.ok:
                return ValidationResult(verdict=verdict, detail=f"[{p.dataset}] max error {error:g} > eb {p.eb:g}",
                                        cases=cases)
        return ValidationResult(verdict=Verdict.ok, cases=cases)

    def benchmark(self, build, spec, problems, workdir, settings=None) -> BenchmarkResult:
        checked = self.validate(build, spec, problems, workdir)
        if not checked.ok:
            return BenchmarkResult(verdict=checked.verdict, detail=checked.detail)
        cases = []
        for p in problems:
            kernel, stream, error = self._round_trip(build, p)
            start = time.perf_counter()
            kernel["compress"](p.data, p.eb)
            middle = time.perf_counter()
            kernel["decompress"](stream, p.data.size, p.eb)
            seconds = (max(middle - start, 1e-9), max(time.perf_counter() - middle, 1e-9))
            timings = [Timing(median_seconds=s, min_seconds=s, max_seconds=s, iqr_seconds=0.0, repetitions=1)
                       for s in seconds]
            cases.append(BenchmarkCase(
                dataset=p.dataset, n=p.data.size, dtype=p.data.dtype.name, eb=p.eb, input_bytes=p.data.nbytes,
                compressed_bytes=len(stream), ratio=p.data.nbytes / len(stream), compress=timings[0],
                decompress=timings[1], compress_gbps=p.data.nbytes / seconds[0] / 1e9,
                decompress_gbps=p.data.nbytes / seconds[1] / 1e9, psnr_db=0.0, nrmse=0.0,
                max_error_over_eb=error / p.eb))
        return BenchmarkResult(verdict=Verdict.ok, cases=cases, environment=Environment(backend=self.name, device="host"))
