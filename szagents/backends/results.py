"""Typed, classified results of compiling, validating and benchmarking a kernel."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Verdict",
    "CompileResult",
    "BoundViolation",
    "CaseResult",
    "ValidationResult",
    "Timing",
    "BenchmarkCase",
    "BenchmarkResult",
    "Environment",
]


class Verdict(StrEnum):
    """Classification of one harness outcome; only `ok` means correct. A StrEnum: it prints and formats as its
    value (`f"{Verdict.ok}"` is `ok`), as the logs and the progress lines spell it."""

    ok = "ok"
    compile_error = "compile_error"
    abi_error = "abi_error"  # library lacks a required symbol
    crash = "crash"  # killed by a signal or exited without a result
    timeout = "timeout"
    timing_evaded = "timing_evaded"  # work ran outside the timed calls (off the clock: CPU on cpu, device work on cuda)
    error_status = "error_status"  # kernel returned non-zero on valid input
    bound_violation = "bound_violation"
    size_error = "size_error"  # out_bytes > capacity, writes past a buffer, under-reported size
    unwritten_output = "unwritten_output"
    wrong_output = "wrong_output"  # stream differs from the reference format when required
    cheat_detected = "cheat_detected"
    unavailable = "unavailable"  # backend cannot run here (no GPU, no SDK)
    stall = "stall"  # cerebras: a launch or transfer never completed before the timeout
    runtime_error = "runtime_error"  # cerebras: the SDK runtime raised (bad symbol, memcpy, launch)
    zero_exec_time = "zero_exec_time"  # cerebras: the device reported zero or no execution time
    queued = "queued"  # cerebras appliance: the job never started (queue, upload) in time; the kernel never ran
    ratio_regression = "ratio_regression"  # correct, but a case's ratio fell below the task's floor


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CompileResult(_Model):
    """A compile attempt: flags, full diagnostics, and the built library when it succeeded."""

    ok: bool
    backend: str
    compiler: str
    command: list[str]
    sources: list[str]
    content_sha256: str
    library: Path | None = None
    log: str = ""
    compile_seconds: float = 0.0
    cached: bool = False
    timed_out: bool = False
    isolation: str | None = None  # "bwrap" or "rlimits-only": how the compiler was confined
    sdk_version: str | None = None  # cerebras: `cslc --version` or the cerebras-sdk client's version

    @property
    def verdict(self) -> Verdict:
        """ok or compile_error."""
        return Verdict.ok if self.ok else Verdict.compile_error


class BoundViolation(_Model):
    """The first element outside the error bound, and how many there were."""

    index: int
    value: float
    reconstructed: float
    abs_error: float
    error_over_eb: float
    count: int


class CaseResult(_Model):
    """Validation of one dataset at one error bound."""

    dataset: str
    n: int
    dtype: str
    eb: float
    verdict: Verdict
    detail: str = ""
    compressed_bytes: int | None = None
    ratio: float | None = None
    max_abs_error: float | None = None
    max_error_over_eb: float | None = None
    violation: BoundViolation | None = None


class Environment(_Model):
    """Where a measurement was taken."""

    backend: str
    device: str
    threads: int | None = None
    omp_num_threads: str | None = None
    memory_bandwidth_gbps: float | None = None
    cache_flush: str | None = None  # cpu: how the parent evicted each timed repetition's input and output


class _HarnessRun(_Model):
    """What every harness run reports: a verdict, where it failed, and the child's stderr."""

    verdict: Verdict
    detail: str = ""
    phase: str | None = None  # where a crash or timeout happened
    signal: str | None = None
    wall_seconds: float = 0.0
    stderr_tail: str = ""
    isolation: str | None = None  # "bwrap" or "rlimits-only": how the kernel's processes were confined
    sdk_version: str | None = None  # cerebras: the SDK the run used (results of different SDKs never mix)

    @property
    def ok(self) -> bool:
        """True when every case passed."""
        return self.verdict is Verdict.ok


class ValidationResult(_HarnessRun):
    """Correctness of a build over every case of a task; verdict is the first failure's."""

    cases: list[CaseResult] = Field(default_factory=list)


class Timing(_Model):
    """Repeated timings of one operation, in seconds."""

    median_seconds: float
    min_seconds: float
    max_seconds: float
    iqr_seconds: float
    repetitions: int
    cv: float | None = None  # coefficient of variation (std / mean) of the timed repetitions
    # The child's own figure (a claim) and the trusted parent's bound from outside, both medians;
    # median_seconds is the claim where it is consistent with the bound, else the bound.
    claimed_median_seconds: float | None = None
    bound_median_seconds: float | None = None
    time_source: str | None = None  # "claimed", "bound" (raised to the parent's clock) or "mean" (packed work)
    verified_repetitions: int | None = None  # repetitions whose outputs the parent checked
    host_cv: float | None = None  # CV of the parent's own go -> done bounds: host-side noise, not the kernel's
    handshake_seconds: float | None = None  # the null handshake's median round trip, taken off every bound
    warmup_calls: int | None = None  # untimed calls before the repetitions (until successive batches agreed)
    # Where a go -> done round trip goes, median microseconds per part (timing.handshake_phases), for the
    # timed calls and the null handshakes: the child's marks, a diagnosis only.
    phases_us: dict[str, dict[str, float]] | None = None
    # What the claims cover: "cupti" (every kernel, copy and memset on any stream of any context in the
    # kernel's process), "events" (CUDA events on the ABI stream: other streams only caught when still busy),
    # or "host" (the cpu clock around the call). trace_note says why a GPU run has no trace.
    coverage: str | None = None
    trace_note: str | None = None
    # CPU time of the kernel's whole process tree, summed over the repetitions (offclock.py): inside the
    # timed calls; after a call until every thread was idle (spin-waits, not charged); off the clock
    # (while the parent staged the next input and flushed the cache: charged); and how it was read.
    on_clock_cpu_seconds: float | None = None
    after_call_cpu_seconds: float | None = None
    off_clock_cpu_seconds: float | None = None
    cpu_accounting: str | None = None  # "cgroup v2 cpu.stat", "cgroup v1 cpuacct.usage" or "process clocks"


class BenchmarkCase(_Model):
    """Throughput and quality of one dataset at one error bound."""

    dataset: str
    n: int
    dtype: str
    eb: float
    input_bytes: int
    compressed_bytes: int
    ratio: float
    compress: Timing
    decompress: Timing
    compress_gbps: float
    decompress_gbps: float
    psnr_db: float
    nrmse: float
    max_error_over_eb: float
    compress_bandwidth_fraction: float | None = None
    decompress_bandwidth_fraction: float | None = None
    # cerebras: median device cycles (slowest PE per launch, summed over launches) and the clock
    # that turned them into the compress/decompress seconds above; None on other backends.
    compress_cycles: int | None = None
    decompress_cycles: int | None = None
    clock_hz: float | None = None
    # cuda: the board's energy while the timed calls ran, per GB of their input (NVML's counter, read by the
    # trusted parent: energy.py); None with the reason in energy_note where the counter is missing or too coarse.
    compress_joules_per_gb: float | None = None
    decompress_joules_per_gb: float | None = None
    energy_note: str | None = None


class BenchmarkResult(_HarnessRun):
    """Benchmark of a build; verdict is not ok when a run crashed or produced wrong data."""

    cases: list[BenchmarkCase] = Field(default_factory=list)
    environment: Environment | None = None
