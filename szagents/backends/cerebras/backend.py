"""The cerebras backend: CSL programs on a WSE, via the local SDK or a Wafer-Scale Cluster."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from szagents.backends.cerebras.availability import check_availability
from szagents.backends.cerebras.build import build_program
from szagents.backends.cerebras.config import CerebrasConfig
from szagents.backends.cerebras.conventions import cap_words, host_params
from szagents.backends.cerebras.launch import run_harness
from szagents.backends.cerebras.outcome import to_benchmark, to_validation
from szagents.backends.protocol import (
    Availability, BenchSettings, Guidance, KernelSpec, Material, Problem, Requirements,
)
from szagents.backends.results import BenchmarkResult, CompileResult, Environment, ValidationResult, Verdict
from szagents.errors import ToolchainError
from szagents.paths import data_root

__all__ = ["CerebrasBackend"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"


class CerebrasBackend:
    """Compile layout.csl + pe.csl with cslc; validate and time them on the simulator or a CS system."""

    name = "cerebras"

    def __init__(self, config: CerebrasConfig | None = None) -> None:
        self.config = config or CerebrasConfig.from_env()

    @property
    def requirements(self) -> Requirements:
        """Two CSL programs (and any further .csl modules); the CSL conventions and, to start from, the skeletons."""
        material = data_root() / "cerebras"
        return Requirements(
            target_files=("layout.csl", "pe.csl"), description="CSL on the Cerebras WSE", module_suffixes=(".csl",),
            material=(Material(source=material / "README.md", name="CEREBRAS.md"),
                      *(Material(source=material / "skeleton" / n, name=n, fresh_only=True) for n in ("layout.csl", "pe.csl"))),
            guidance=Guidance(architecture=_TEMPLATES / "architecture.md.j2", abi=_TEMPLATES / "abi.md.j2",
                              tuning=_TEMPLATES / "tuning.md.j2", readme_abi=_TEMPLATES / "readme_abi.md.j2",
                              headers=False, out_buffers=False),  # the CSL programs import no headers; memcpy moves the data
        )

    def availability(self) -> Availability:
        """What the configured mode needs (cslc, cs_python, container, cerebras-sdk, endpoint)."""
        return check_availability(self.config)

    def params(self, spec: KernelSpec) -> dict[str, int]:
        """The --params of a build of spec: rectangle, chunk, and the stream capacity per PE."""
        c = self.config
        return host_params(c.width, c.height, c.chunk, cap_words(spec.codec, spec.options, c.chunk))

    def compile(self, sources: Sequence[Path], spec: KernelSpec, workdir: Path) -> CompileResult:
        """Static pre-checks, then cslc or SdkCompiler; raises ToolchainError when the SDK is missing."""
        state = self.availability()
        if not state.can_compile:
            raise ToolchainError(f"backend 'cerebras' cannot compile: {state.reason}; fix: {state.fix}")
        csl = [Path(s) for s in sources if Path(s).suffix == ".csl"]
        if not csl:
            names = ", ".join(Path(s).name for s in sources)
            raise ToolchainError(f"backend 'cerebras' compiles .csl files; got {names}")
        return build_program(self.config, csl, self.params(spec))

    def validate(
        self, build: CompileResult, spec: KernelSpec, problems: Sequence[Problem], workdir: Path
    ) -> ValidationResult:
        """Run every problem through compress and decompress on the device and check the results."""
        if not build.ok or build.library is None:
            return ValidationResult(verdict=Verdict.compile_error, detail="the build failed; see the compile log",
                                    sdk_version=build.sdk_version)
        run = run_harness(self.config, build, "validate", problems, spec, self.params(spec), workdir)
        return to_validation(run, self.config.run_limits)

    def benchmark(
        self,
        build: CompileResult,
        spec: KernelSpec,
        problems: Sequence[Problem],
        workdir: Path,
        settings: BenchSettings | None = None,
    ) -> BenchmarkResult:
        """Device execution time from the PEs' cycle counters (settings' repetition policy is not used)."""
        if not build.ok or build.library is None:
            return BenchmarkResult(verdict=Verdict.compile_error, detail="the build failed; see the compile log",
                                   sdk_version=build.sdk_version)
        run = run_harness(self.config, build, "benchmark", problems, spec, self.params(spec), workdir)
        return to_benchmark(run, self.config.run_limits, self.environment())

    def environment(self) -> Environment:
        """Where the measurement was taken, with the assumed clock."""
        c = self.config
        if c.mode == "appliance":
            target = "cluster simulator" if c.appliance_simulator else "Wafer-Scale Cluster"
        else:
            target = f"system {c.cmaddr}" if c.cmaddr else "fabric simulator"
        return Environment(backend=self.name, device=f"Cerebras {c.arch.upper()} {target}, {c.width}x{c.height} PEs, "
                           f"{c.chunk} values/PE, cycles at {c.clock_hz / 1e6:g} MHz")
