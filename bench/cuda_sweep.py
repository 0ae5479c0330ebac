"""Build, check and time tuning variants of the CUDA references (SZp plain and outlier, SZx) in one call.

Standalone (numpy, cupy, ctypes and nvcc; reuses bench/gpu_kernels.py and bench/cuszp_compare.py).
From the repository root, on a GPU machine (about 1-2 minutes on an H200):

    OUT=/tmp/sweep python3 bench/cuda_sweep.py [--quick] [--vectors DIR] [--only SUBSTR,...]
        [--sizes climate,grf256m,grf2g] [--reps 10] [--runs 3] [--budget 100] [--ncu NAME,...]
    python3 bench/cuda_sweep.py --build-only          # no GPU: build every variant, ptxas report
    python3 bench/cuda_sweep.py --adopt OUT/sweep.json  # no GPU: write the winners' default lines

1. builds every variant (a source and some -D tuning defines, see VARIANTS) in parallel with
   nvcc and records ptxas' registers and spills. "base" variants are the references as they were
   before issue 24 (bench/sweep_baseline/, frozen), "default" the sources as they are now;
2. runs the variants one after the other in a worker process that makes the fields once (a
   variant that crashes, faults or hangs costs a fresh worker, never the sweep): per variant, byte
   equality with the original tools' streams (the vectors), round trips at odd sizes within the
   bound (f32, and f64 for SZp), then at 25.9 MB (climate), 256 MiB and 2 GiB (smooth GRF), REL
   1e-3, the decoding of its own stream within the bound, a device-side fingerprint of the stream
   (byte identity with the base variant and with cuSZp, compared afterwards), and the timings:
   kernels only, CUDA events on the stream, the 128 MB L2 flush of gpu_kernels.py before every
   call, `runs` x `reps` calls after 3 warm-ups, the median (and each run's median);
3. if cuSZp's sources are in .cuszp/ (or --cuszp DIR), times cuSZp's kernels the same way, plain
   and outlier, and measures the device copy bandwidth for the roofline;
4. prints per variant GB/s and the ratio to the base variant of the same run, the goals of issue
   24 for the recommended variant of each source, and the one line to set in the source to adopt
   it; writes $OUT/sweep.json, sweep.log, ptxas.txt and the worker logs (OUT defaults to
   /tmp/szagents-sweep);
5. --ncu NAME,...: profiles those variants (one compression and one decompression of the 256 MiB
   field) with Nsight Compute, each bounded by --ncu-timeout, into $OUT/ncu/; with --ncu-source also
   the source counters (executed instructions and stall samples per SASS instruction, NAME.sass.csv).
A variant that fails to build, mismatches a byte, breaks the bound or faults is reported and left
out of the recommendation. Once --budget seconds have passed, the variants not yet run are skipped.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import cuszp_compare as cc  # noqa: E402  (fields, bound check, GB/s, roofline, the cuSZp shim)
import gpu_kernels as gk  # noqa: E402  (build flags, ptxas summary, codec, vectors, timing)

REPO = BENCH.parent
BASELINE = BENCH / "sweep_baseline"
SIZES = ("climate", "grf256m", "grf2g")
FLUSH_BYTES = 128 << 20  # written before every timed call (2x the L2)
# The positional fields of the one-line defaults (SZP_DEFAULTS, SZX_DEFAULTS) in each source.
DEFAULT_FIELDS = {
    "szp": ("WARPS", "BLOCKS_PER_WARP", "MIN_CTAS", "DEC_MIN_CTAS", "DEC_OFFSETS", "STREAM_STORES"),
    "szx": ("WARPS", "MIN_CTAS", "DEC_MIN_CTAS"),
}


# ---- Variants -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepVariant:
    """One build: kernel (szp|szx), mode (plain|outlier|ra), tag, tuning defines, and whether it is
    the frozen pre-issue source (base) and in the --quick set."""

    kernel: str
    mode: str
    tag: str
    defines: tuple[tuple[str, str], ...] = ()
    quick: bool = False

    @property
    def name(self) -> str:
        return f"{self.kernel}-{self.mode}-{self.tag}"

    @property
    def is_base(self) -> bool:
        return self.tag == "base"

    @property
    def source(self) -> Path:
        if self.is_base:
            return BASELINE / f"{self.kernel}_reference.cu"
        return gk.KERNELS / self.kernel / "reference.cu"

    @property
    def base(self) -> gk.Variant:
        return gk.Variant(self.kernel, "reference", self.mode)

    @property
    def flags(self) -> list[str]:
        return self.base.defines + [f"-D{k}={v}" for k, v in self.defines]


def _szp(tag: str, quick: bool = False, **defines: int) -> list[SweepVariant]:
    d = tuple((f"SZP_{k}", str(v)) for k, v in defines.items())
    return [SweepVariant("szp", mode, tag, d, quick) for mode in ("plain", "outlier")]


def _szx(tag: str, quick: bool = False, **defines: int) -> list[SweepVariant]:
    return [SweepVariant("szx", "ra", tag, tuple((f"SZX_{k}", str(v)) for k, v in defines.items()), quick)]


# Base and default first (every ratio needs the base), then one knob at a time, then combinations.
VARIANTS: list[SweepVariant] = [
    *_szp("base", True), *_szp("default", True), *_szx("base", True), *_szx("default", True),
    *_szp("lookback", True, DEC_OFFSETS=0),     # decoder: look-back inside instead of the offsets kernel
    *_szp("stcs", True, STREAM_STORES=1),       # evict-first output stores
    *_szp("c4", True, MIN_CTAS=4),              # compressor: up to 64 registers, 4 CTAs/SM
    *_szp("c6", True, MIN_CTAS=6),              # compressor: 40 registers, 6 CTAs/SM (plain: no spills since 74d6c58)
    *_szp("d8", True, DEC_MIN_CTAS=8),          # decoder: 32 registers, full occupancy
    *_szp("b8", True, BLOCKS_PER_WARP=8),       # half the values per warp, twice the tiles
    *_szp("d4", DEC_MIN_CTAS=4),                # decoder: up to 64 registers
    *_szp("w4", WARPS=4, MIN_CTAS=10, DEC_MIN_CTAS=12),            # 128-thread CTAs, same occupancy
    *_szp("b32", BLOCKS_PER_WARP=32, MIN_CTAS=3, DEC_MIN_CTAS=4),  # twice the values per warp
    *_szp("c4-d8-stcs", True, MIN_CTAS=4, DEC_MIN_CTAS=8, STREAM_STORES=1),
    *_szp("b8-d8", BLOCKS_PER_WARP=8, DEC_MIN_CTAS=8),
    *_szx("w4", True, WARPS=4),                 # 8 blocks per warp
    *_szx("c0", True, MIN_CTAS=0),              # compression kernels unbounded (~75 registers; default until 12-07)
    *_szx("d8", True, DEC_MIN_CTAS=8),          # decode kernel: 32 registers
    *_szx("w16", WARPS=16),                     # 2 blocks per warp
    *_szx("c2", MIN_CTAS=2),                    # compression kernels: up to 128 registers
    *_szx("d4", DEC_MIN_CTAS=4),
]


def select(variants: list[SweepVariant], only: str, quick: bool) -> list[SweepVariant]:
    """The variants to run: the --quick set or all, narrowed by --only substrings (base always kept
    for the kernels that remain, since every ratio needs it)."""
    chosen = [v for v in variants if (v.quick or not quick)]
    if only:
        keys = [s for s in only.split(",") if s]
        picked = [v for v in chosen if any(k in v.name for k in keys)]
        kernels = {(v.kernel, v.mode) for v in picked}
        chosen = [v for v in chosen if v in picked or (v.is_base and (v.kernel, v.mode) in kernels)]
    return chosen


# ---- One-line defaults: read, and write a winner's --------------------------------------------------
def defaults_line(source: Path, kernel: str) -> tuple[str, list[str]]:
    """The `#define SZP_DEFAULTS a, b, ...` line of a source and its values."""
    prefix = f"#define {kernel.upper()}_DEFAULTS "
    for line in source.read_text().splitlines():
        if line.startswith(prefix):
            values = [v.strip() for v in line[len(prefix):].split("/*")[0].split(",")]
            if len(values) != len(DEFAULT_FIELDS[kernel]):
                raise ValueError(f"{source}: {line!r} has {len(values)} values, want {DEFAULT_FIELDS[kernel]}")
            return line, values
    raise ValueError(f"{source}: no line starting with {prefix.strip()!r}")


def adopted_line(kernel: str, defines: list[list[str]] | tuple, source: Path) -> str:
    """The defaults line of source with a variant's defines in place of the current values."""
    _, values = defaults_line(source, kernel)
    fields = DEFAULT_FIELDS[kernel]
    for key, value in defines:
        name = key.removeprefix(f"{kernel.upper()}_")
        if name not in fields:
            raise ValueError(f"{key} is not one of the {kernel.upper()}_DEFAULTS fields {fields}")
        values[fields.index(name)] = str(value)
    return f"#define {kernel.upper()}_DEFAULTS {', '.join(values)}"


def adopt(report: Path) -> int:
    """Write each recommended variant's defaults line into its source (no GPU needed)."""
    recommended = json.loads(report.read_text()).get("recommended", {})
    if not recommended:
        print(f"{report}: no recommended variant (nothing passed every check)")
        return 1
    for kernel, rec in recommended.items():
        source = gk.KERNELS / kernel / "reference.cu"
        old, _ = defaults_line(source, kernel)
        new = adopted_line(kernel, rec["defines"], source)
        source.write_text(source.read_text().replace(old + "\n", new + "\n", 1))
        print(f"{source.relative_to(REPO)}: {old!r} -> {new!r} ({rec['tag']})")
    return 0


# ---- Build ----------------------------------------------------------------------------------------
def build_one(v: SweepVariant, out_dir: Path, arch: str, timeout: float) -> dict:
    """nvcc one variant; returns {lib, ptxas, spills, error}."""
    lib = out_dir / f"lib{v.name}.so"
    flags = [f if not f.startswith("-arch=") else f"-arch={arch}" for f in gk.NVCC_FLAGS]
    cmd = ["nvcc", *flags, *v.flags, "-Xptxas", "-v", str(v.source), "-o", str(lib)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (subprocess.TimeoutExpired, OSError) as exc:
        return {"lib": None, "ptxas": "", "spills": False, "error": f"nvcc: {exc}"}
    if proc.returncode:
        return {"lib": None, "ptxas": "", "spills": False, "error": f"{' '.join(cmd)}\n{proc.stderr[-3000:]}"}
    summary = gk.ptxas_summary(proc.stderr)
    spills = any(int(n) for n in re.findall(r"(\d+) bytes spill", summary))
    return {"lib": str(lib), "ptxas": summary, "spills": spills, "error": None}


def build_all(variants: list[SweepVariant], out_dir: Path, arch: str, timeout: float) -> dict[str, dict]:
    out_dir.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max(1, min(len(variants), os.cpu_count() or 4))) as pool:
        return dict(zip((v.name for v in variants), pool.map(lambda v: build_one(v, out_dir, arch, timeout),
                                                              variants)))


def device_arch() -> str:
    try:
        cap = subprocess.run(["nvidia-smi", "--query-gpu=compute_cap", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=30).stdout.split()
        return f"sm_{cap[0].replace('.', '')}" if cap else "sm_90"
    except (OSError, subprocess.TimeoutExpired):
        return "sm_90"


# ---- Worker: the jobs in one process, fields made once -------------------------------------------
def rel_eb(x) -> float:
    return float(np.float32(1e-3 * float(x.max() - x.min())))


def fingerprint(buf, nbytes: int) -> str:
    """Size and a position-dependent 64-bit sum of the stream's words (on the device), tail bytes."""
    import cupy as cp

    words = nbytes // 4
    w = buf[:4 * words].view(cp.uint32).astype(cp.uint64)
    idx = cp.arange(words, dtype=cp.uint64)
    h = int(((w + cp.uint64(1)) * (idx * cp.uint64(2654435761) + cp.uint64(0x9E3779B97F4A7C15))).sum())
    tail = cp.asnumpy(buf[4 * words:nbytes]).tobytes()
    return f"{nbytes}:{h & (2**64 - 1):016x}:{tail.hex()}"


def timing_cell(fn, stream, flush, args) -> dict:
    t = gk.time_call(fn, stream, flush, args.reps, args.runs)
    return {"median_ms": t.median_ms(), "run_ms": t.run_medians_ms()}


def check_variant(codec, v: SweepVariant, stream) -> list[str]:
    """Vector byte equality and odd-size round trips; FAIL lines mark failures."""
    cases = gk.vector_cases()
    lines = gk.check_vectors(codec, cases, stream) if cases else ["FAIL vectors not found (--vectors DIR)"]
    rng = np.random.default_rng(3)
    for dtype in (np.float32, np.float64) if v.base.has_f64 else (np.float32,):
        for n in (1, 31, 33, 4097, 100003, (1 << 20) + 7):
            x = (np.cumsum(rng.standard_normal(n)) * 0.1 + rng.standard_normal(n) * 0.01).astype(dtype)
            ok, detail, cr = gk.roundtrip(codec, x, 1e-3, stream)
            lines.append(f"{'PASS' if ok else 'FAIL'} {np.dtype(dtype).name} n={n}: {detail}, CR {cr:.2f}")
    return lines


def run_variant(job: dict, fields: dict, stream, flush, args) -> dict:
    import cupy as cp

    v = SweepVariant(job["kernel"], job["mode"], job["tag"], tuple(map(tuple, job["defines"])))
    codec = gk.GpuCodec(Path(job["lib"]), v.base)
    result: dict = {"variant": v.name, "sizes": {}}
    result["checks"] = check_variant(codec, v, stream)
    failures = sum(line.startswith("FAIL") for line in result["checks"])
    for name, x in fields.items():
        eb = rel_eb(x)
        out = cp.empty(codec.capacity(x.size), cp.uint8)
        status, nbytes = codec.compress(x, eb, out, stream)
        stream.synchronize()
        if status:
            result["sizes"][name] = {"error": f"compress status {gk.STATUS.get(status, status)}"}
            failures += 1
            continue
        data = out[:nbytes].copy()
        y = cp.full(x.size, cp.nan, x.dtype)  # poisoned: an unwritten value fails the bound
        status = codec.decompress(data, nbytes, x.size, eb, y, stream)
        stream.synchronize()
        ok = status == 0 and cc.bound_ok(x, y, eb)
        failures += not ok
        cell = {"input_bytes": x.nbytes, "compressed_bytes": nbytes, "eb": eb, "bound_ok": ok,
                "fingerprint": fingerprint(data, nbytes)}
        cell["compress"] = timing_cell(lambda: codec.compress(x, eb, out, stream), stream, flush, args)
        cell["decompress"] = timing_cell(lambda: codec.decompress(data, nbytes, x.size, eb, y, stream),
                                         stream, flush, args)
        result["sizes"][name] = cell
        del out, data, y
        cp.get_default_memory_pool().free_all_blocks()
    result["failures"] = failures
    return result


def run_cuszp(job: dict, fields: dict, flush, args) -> dict:
    """cuSZp's kernels (plain and outlier), timed as the variants, and the device copy bandwidth."""
    import cupy as cp

    cz = cc.CuSZp(Path(job["lib"]))
    stream = cp.cuda.Stream(non_blocking=False)  # as cuszp_compare: cuSZp's size read is on stream 0
    result: dict = {"variant": "cuszp", "sizes": {}}
    with stream:
        result["copy_gbps"] = gk.copy_bandwidth_gbps(stream)
        for name, x in fields.items():
            eb = rel_eb(x)
            scratch = cp.empty(cz.scratch_bytes(x.size), cp.uint8)
            out = cp.zeros((x.size + 32767) // 32768 * 1024 + (x.size + 31) // 32 * 136, cp.uint8)
            y = cp.zeros(x.size, cp.float32)
            for mode in ("plain", "outlier"):
                nbytes = cz.compress("kernel", mode, x, out, eb, stream, scratch)
                data = out[:nbytes].copy()
                y.fill(0)  # cuSZp never writes rate-0 blocks
                cz.decompress("kernel", mode, data, nbytes, y, eb, stream, scratch)
                stream.synchronize()
                cell = {"input_bytes": x.nbytes, "compressed_bytes": nbytes, "eb": eb,
                        "bound_ok": cc.bound_ok(x, y, eb), "fingerprint": fingerprint(data, nbytes)}
                cell["compress"] = timing_cell(lambda: cz.compress("kernel", mode, x, out, eb, stream, scratch),
                                               stream, flush, args)
                cell["decompress"] = timing_cell(
                    lambda: cz.decompress("kernel", mode, data, nbytes, y, eb, stream, scratch), stream, flush, args)
                result["sizes"][f"{name}/{mode}"] = cell
                del data
            del out, y, scratch
            cp.get_default_memory_pool().free_all_blocks()
    return result


def emit(tag: str, payload) -> None:
    print(f"SWEEP-{tag} {json.dumps(payload)}", flush=True)


def worker_main(args) -> int:
    """Run the jobs of args.worker (a JSON file) in order; a job that raises ends the worker (the
    CUDA context may be broken), the parent starts a fresh one for the rest."""
    import cupy as cp

    jobs = json.loads(Path(args.worker).read_text())
    fields = cc.make_fields(args.sizes)
    flush = cp.empty(FLUSH_BYTES, cp.uint8)
    cp.cuda.Device().synchronize()  # the fields are made on the legacy stream, the variants run on another
    stream = cp.cuda.Stream(non_blocking=True)
    for job in jobs:
        emit("BEGIN", job["name"])
        if args.profile:
            with stream:
                profile_once(job, fields, stream)
            emit("RESULT", {"variant": job["name"]})
            continue
        try:
            if job.get("cuszp"):
                result = run_cuszp(job, fields, flush, args)
            else:
                with stream:
                    result = run_variant(job, fields, stream, flush, args)
        except Exception as exc:  # noqa: BLE001  (reported as this variant's failure)
            emit("RESULT", {"variant": job["name"], "error": f"{type(exc).__name__}: {exc}"})
            return 3
        emit("RESULT", result)
    return 0


def profile_once(job: dict, fields: dict, stream) -> None:
    """One compression and one decompression of the first field (run under ncu)."""
    import cupy as cp

    v = SweepVariant(job["kernel"], job["mode"], job["tag"], tuple(map(tuple, job["defines"])))
    codec = gk.GpuCodec(Path(job["lib"]), v.base)
    x = next(iter(fields.values()))
    eb = rel_eb(x)
    out, y = cp.empty(codec.capacity(x.size), cp.uint8), cp.empty_like(x)
    _, nbytes = codec.compress(x, eb, out, stream)
    codec.decompress(out, nbytes, x.size, eb, y, stream)
    stream.synchronize()


# ---- Parent: workers, with a fresh one after a crash or a hang ------------------------------------
class Log:
    def __init__(self, path: Path):
        self.f = path.open("w")

    def __call__(self, text: str = "") -> None:
        print(text, flush=True)
        self.f.write(text + "\n")
        self.f.flush()


def worker_cmd(args, job_file: Path, profile: bool = False) -> list[str]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", str(job_file), "--sizes", ",".join(args.sizes),
           "--reps", str(args.reps), "--runs", str(args.runs)]  # the vectors: SZAGENTS_VECTORS
    return cmd + (["--profile"] if profile else [])


def _pump(stream, q: queue.Queue, log_file) -> None:
    for line in stream:
        if line.startswith("SWEEP-"):
            q.put(line.rstrip("\n"))
        else:
            log_file.write(line)
            log_file.flush()
    q.put(None)


def run_jobs(jobs: list[dict], args, log: Log, deadline: float) -> dict[str, dict]:
    """Every job's result; a worker that dies or hangs costs the job it was on, then a fresh worker
    takes the rest. Jobs not begun by the deadline are reported as skipped."""
    results: dict[str, dict] = {}
    pending = list(jobs)
    n = 0
    while pending:
        if time.time() > deadline:
            for job in pending:
                results[job["name"]] = {"variant": job["name"], "error": f"skipped: past the {args.budget:.0f} s budget"}
            break
        n += 1
        job_file = args.out / f"jobs-{n}.json"
        job_file.write_text(json.dumps(pending))
        worker_log = (args.out / f"worker-{n}.log").open("w")
        proc = subprocess.Popen(worker_cmd(args, job_file), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, env=os.environ.copy())
        q: queue.Queue = queue.Queue()
        threading.Thread(target=_pump, args=(proc.stdout, q, worker_log), daemon=True).start()
        current, started = None, time.time()
        startup = True  # the worker makes the fields before its first job
        while True:
            limit = args.timeout + (60 if startup else 0)
            try:
                line = q.get(timeout=max(1.0, started + limit - time.time()))
            except queue.Empty:
                line = "TIMEOUT"
            if line is None or line == "TIMEOUT":
                if proc.poll() is None:
                    proc.kill()  # our own worker, by its handle
                proc.wait()
                if startup:  # no job begun: the worker cannot make the fields; no point in another
                    for job in pending:
                        results[job["name"]] = {"variant": job["name"],
                                                "error": f"the worker failed before its first job; see worker-{n}.log"}
                    log(f"worker {n} failed before its first job (exit {proc.returncode}); see worker-{n}.log")
                    pending = []
                    break
                name = current  # None: the worker ended between jobs (done, or after an error result)
                if name:
                    why = (f"timed out after {limit:.0f} s (hang?)" if line == "TIMEOUT"
                           else f"worker exited {proc.returncode} (crash?); see worker-{n}.log")
                    results[name] = {"variant": name, "error": why}
                    pending = [j for j in pending if j["name"] != name]
                    log(f"{name}: ERROR {why}")
                break
            tag, _, payload = line.partition(" ")
            if tag == "SWEEP-BEGIN":
                current, started, startup = json.loads(payload), time.time(), False
                if time.time() > deadline:
                    proc.kill()
                    proc.wait()
                    break
            elif tag == "SWEEP-RESULT":
                r = json.loads(payload)
                r["wall_s"] = time.time() - started
                results[r["variant"]] = r
                pending = [j for j in pending if j["name"] != r["variant"]]
                log(status_line(r))
                current, started = None, time.time()
        worker_log.close()
    return results


def status_line(r: dict) -> str:
    if "error" in r:
        return f"{r['variant']}: ERROR {r['error']}"
    fails = [line for line in r.get("checks", []) if line.startswith("FAIL")]
    bad = [f"{s}: {c.get('error') or 'bound VIOLATED'}" for s, c in r["sizes"].items()
           if "error" in c or not c["bound_ok"]]
    head = f"{r['variant']}: {'checks ok' if not fails and not bad else 'FAILED'} ({r.get('wall_s', 0):.1f} s)"
    return head + "".join(f"\n   {x}" for x in (fails + bad)[:6])


# ---- Report -------------------------------------------------------------------------------------
def compare_bytes(results: dict[str, dict], variants: list[SweepVariant]) -> None:
    """Mark every big stream identical or not to the base variant's and cuSZp's (fingerprints)."""
    cz = results.get("cuszp", {}).get("sizes", {})
    for v in variants:
        r = results.get(v.name, {})
        base = results.get(f"{v.kernel}-{v.mode}-base", {}).get("sizes", {})
        for s, c in r.get("sizes", {}).items():
            if "fingerprint" not in c:
                continue
            if not v.is_base and "fingerprint" in base.get(s, {}):
                c["same_as_base"] = c["fingerprint"] == base[s]["fingerprint"]
            ref = cz.get(f"{s}/{v.mode}") if v.kernel == "szp" else None
            if ref:
                c["same_as_cuszp"] = c["fingerprint"] == ref["fingerprint"]


def passed(r: dict) -> bool:
    return "error" not in r and r.get("failures", 1) == 0 and all(
        "error" not in c and c["bound_ok"] and c.get("same_as_base", True) and c.get("same_as_cuszp", True)
        for c in r["sizes"].values())


def gbps_of(cell: dict, direction: str) -> tuple[float, list[float]]:
    t = cell[direction]
    return cc.gbps(cell["input_bytes"], t["median_ms"]), [cc.gbps(cell["input_bytes"], m) for m in t["run_ms"]]


def variant_table(results: dict, variants: list[SweepVariant], built: dict, sizes: list[str], log: Log) -> None:
    log("\n== GB/s (input bytes / median time), compress / decompress; (x) = ratio to the base variant of "
        "this run; ok = vectors, round trips, bound, bytes = base (and cuSZp)")
    head = f"{'variant':<26}{'ok':<8}" + "".join(f"{s:>24}" for s in sizes)
    log(head + "\n" + "-" * len(head))
    for v in variants:
        r = results.get(v.name, {"error": "not run"})
        if "error" in r:
            log(f"{v.name:<26}ERROR {r['error'].splitlines()[0][:100]}")
            continue
        ok = "yes" if passed(r) else "NO"
        ok += "/spill" if built.get(v.name, {}).get("spills") else ""
        base = results.get(f"{v.kernel}-{v.mode}-base", {}).get("sizes", {})
        row = f"{v.name:<26}{ok:<8}"
        for s in sizes:
            c = r["sizes"].get(s, {})
            if "compress" not in c:
                row += f"{'-':>24}"
                continue
            parts = []
            for d in ("compress", "decompress"):
                g, _ = gbps_of(c, d)
                b = base.get(s, {})
                parts.append(f"{g:.0f}" + (f"({g / gbps_of(b, d)[0]:.2f})" if d in b and not v.is_base else ""))
            row += f"{' / '.join(parts):>24}"
        log(row)
    cz = results.get("cuszp")
    if cz and "error" not in cz:
        for mode in ("plain", "outlier"):
            row = f"{'cuszp-' + mode:<26}{'':<8}"
            for s in sizes:
                c = cz["sizes"].get(f"{s}/{mode}")
                row += f"{' / '.join(f'{gbps_of(c, d)[0]:.0f}' for d in ('compress', 'decompress')) if c else '-':>24}"
            log(row)


def score(results: dict, names: list[str], base_names: list[str], sizes: list[str]) -> float:
    """Geometric mean over modes, sizes and directions of the speed-up over the base variants."""
    logs = []
    for name, base in zip(names, base_names):
        for s in sizes:
            c, b = results[name]["sizes"].get(s), results.get(base, {}).get("sizes", {}).get(s)
            if not c or not b or "compress" not in b:
                return float("nan")
            logs += [math.log(gbps_of(c, d)[0] / gbps_of(b, d)[0]) for d in ("compress", "decompress")]
    return math.exp(sum(logs) / len(logs)) if logs else float("nan")


def recommend(results: dict, variants: list[SweepVariant], built: dict, sizes: list[str], log: Log) -> dict:
    """Per source (szp: plain and outlier together; szx), the passing tag with the best score."""
    rec: dict = {}
    log("\n== recommendation per source: geometric mean speed-up over base (every mode, size, direction)")
    for kernel, modes in (("szp", ("plain", "outlier")), ("szx", ("ra",))):
        tags = list(dict.fromkeys(v.tag for v in variants if v.kernel == kernel and not v.is_base))
        scored = []
        for tag in tags:
            names = [f"{kernel}-{m}-{tag}" for m in modes]
            if all(n in results and passed(results[n]) and not built[n]["spills"] for n in names):
                sc = score(results, names, [f"{kernel}-{m}-base" for m in modes], sizes)
                if not math.isnan(sc):
                    scored.append((sc, tag))
                log(f"  {kernel} {tag:<14} x{sc:.3f}")
            else:
                log(f"  {kernel} {tag:<14} not eligible (failed a check, spilled, or did not run)")
        if not scored:
            continue
        sc, tag = max(scored)
        v = next(v for v in variants if v.kernel == kernel and v.tag == tag)
        source = gk.KERNELS / kernel / "reference.cu"
        line = adopted_line(kernel, v.defines, source)
        rec[kernel] = {"tag": tag, "score": sc, "defines": [list(d) for d in v.defines], "line": line}
        log(f"  -> {kernel}: {tag} (x{sc:.3f} over base). To adopt, set in kernels/{kernel}/reference.cu:\n"
            f"       {line}\n     (or: python3 bench/cuda_sweep.py --adopt <OUT>/sweep.json)")
    return rec


def goals(results: dict, rec: dict, sizes: list[str], log: Log) -> dict:
    """Issue 24's done-when criteria for the recommended variants (min over runs against cuSZp's
    max over runs, so a pass holds for every run)."""
    cz = results.get("cuszp", {})
    copy = cz.get("copy_gbps")
    out: dict = {}
    log(f"\n== issue 24 goals, recommended variants (device copy {copy and round(copy)} GB/s read+write; "
        "ours = min-max over runs)")
    for mode in ("plain", "outlier"):
        tag = rec.get("szp", {}).get("tag")
        r = results.get(f"szp-{mode}-{tag}", {})
        for s in sizes:
            c, z = r.get("sizes", {}).get(s), cz.get("sizes", {}).get(f"{s}/{mode}")
            for d in ("compress", "decompress"):
                if not c or not z:
                    continue
                g, runs = gbps_of(c, d)
                _, zr = gbps_of(z, d)
                x = min(runs) / max(zr)
                out[f"szp/{mode}/{s}/{d}/x_cuszp"] = x
                log(f"  szp {mode:<8}{s:<9}{d:<11}{min(runs):>6.0f}-{max(runs):<6.0f} cuSZp {min(zr):.0f}-{max(zr):.0f}"
                    f"  x{x:.2f} (>= 1.5: {'PASS' if x >= 1.5 else 'FAIL'})")
            if mode == "plain" and s == "grf2g" and c and copy:
                roof = cc.roofline_gbps(copy, c["input_bytes"] / c["compressed_bytes"])
                pct = 100 * min(gbps_of(c, "compress")[1]) / roof
                out["szp/plain/grf2g/roofline_pct"] = pct
                log(f"  szp plain  grf2g    compress at {pct:.0f} % of the roofline {roof:.0f} GB/s "
                    f"(>= 50: {'PASS' if pct >= 50 else 'FAIL'})")
    tag = rec.get("szx", {}).get("tag")
    c = results.get(f"szx-ra-{tag}", {}).get("sizes", {}).get("grf256m")
    for d, want in (("compress", 800), ("decompress", 1000)):
        if c:
            lo = min(gbps_of(c, d)[1])
            out[f"szx/grf256m/{d}"] = lo
            log(f"  szx grf256m {d:<11}{lo:>6.0f} GB/s (>= {want}: {'PASS' if lo >= want else 'FAIL'})")
    return out


# ---- Nsight Compute ---------------------------------------------------------------------------------
NCU_SECTIONS = ("SpeedOfLight", "Occupancy", "LaunchStats", "SchedulerStats", "WarpStateStats",
                "ComputeWorkloadAnalysis", "MemoryWorkloadAnalysis", "InstructionStats")
NCU_METRICS = ("Duration", "Memory Throughput", "DRAM Throughput", "Compute (SM) Throughput",
               "Registers Per Thread", "Achieved Occupancy", "Theoretical Occupancy", "Executed Ipc Active",
               "Issue Slots Busy", "No Eligible", "Warp Cycles Per Issued Instruction", "Executed Instructions")


def run_ncu(names: list[str], jobs: dict[str, dict], args, log: Log) -> None:
    ncu = shutil.which("ncu") or next((p for p in ("/usr/local/cuda/bin/ncu",) if Path(p).exists()), None)
    if not ncu:
        log("ncu not found: no profiles")
        return
    folder = args.out / "ncu"
    folder.mkdir(exist_ok=True)
    for name in names:
        if name not in jobs:
            log(f"ncu {name}: not a built variant of this sweep")
            continue
        job_file = folder / f"{name}.json"
        job_file.write_text(json.dumps([jobs[name]]))
        sub = argparse.Namespace(**{**vars(args), "sizes": ["grf256m"]})
        report = folder / f"{name}.ncu-rep"
        sections = NCU_SECTIONS + (("SourceCounters",) if args.ncu_source else ())
        cmd = [ncu, "--target-processes", "all", "-k", "regex:szp_|szx_", "--launch-count", "8",
               *sum((["--section", s] for s in sections), []), "--export", str(report), "--force-overwrite",
               *worker_cmd(sub, job_file, profile=True)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.ncu_timeout)
            (folder / f"{name}.log").write_text(proc.stdout[-20000:] + proc.stderr[-20000:])
            csv_text = subprocess.run([ncu, "--import", str(report), "--csv", "--page", "details"],
                                      capture_output=True, text=True, timeout=60).stdout if report.exists() else ""
        except subprocess.TimeoutExpired:
            log(f"ncu {name}: timed out after {args.ncu_timeout:.0f} s")
            continue
        (folder / f"{name}.csv").write_text(csv_text)
        if args.ncu_source and report.exists():  # per SASS instruction: executed count, stall samples
            src = subprocess.run([ncu, "--import", str(report), "--csv", "--page", "source", "--print-source", "sass"],
                                 capture_output=True, text=True, timeout=120)
            (folder / f"{name}.sass.csv").write_text(src.stdout or src.stderr)
        log(f"\n== ncu {name} (exit {proc.returncode}; {report}, {name}.csv, {name}.log)")
        for line in ncu_summary(csv_text):
            log(line)


def ncu_summary(csv_text: str) -> list[str]:
    """One line per kernel launch with the metrics of NCU_METRICS."""
    import csv

    rows = [r for r in csv.reader(line for line in csv_text.splitlines() if line.startswith('"'))]
    if not rows:
        return ["  (no ncu rows)"]
    head = rows[0]
    try:
        ki, ni, mi, ui, vi = (head.index(k) for k in ("ID", "Kernel Name", "Metric Name", "Metric Unit",
                                                      "Metric Value"))
    except ValueError:
        return ["  (unexpected ncu csv header)"]
    launches: dict[str, dict] = {}
    for r in rows[1:]:
        if len(r) > vi and r[mi] in NCU_METRICS:
            launches.setdefault(f"{r[ki]} {r[ni].split('(')[0][-40:]}", {})[r[mi]] = f"{r[vi]}{r[ui] and ' ' + r[ui]}"
    return [f"  {k}: " + "; ".join(f"{m} {v}" for m, v in ms.items()) for k, ms in launches.items()]


# ---- Main -------------------------------------------------------------------------------------------
def vectors_arg(value: Path | None) -> Path | None:
    """--vectors, else ../shared/vectors, else shared/vectors (relative to the repository root)."""
    for p in ([value] if value else [REPO.parent / "shared" / "vectors", REPO / "shared" / "vectors"]):
        if p and (p / "cases.tsv").exists():
            return p.resolve()
    return None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="only the variants marked quick (the likely winners)")
    ap.add_argument("--only", default="", help="comma-separated substrings of variant names (base kept)")
    ap.add_argument("--sizes", default=",".join(SIZES), help=f"subset of {','.join(SIZES)}")
    ap.add_argument("--reps", type=int, default=10, help="timed calls per run")
    ap.add_argument("--runs", type=int, default=3, help="runs; the median over all calls, and each run's")
    ap.add_argument("--budget", type=float, default=100, help="seconds; variants not begun by then are skipped")
    ap.add_argument("--timeout", type=float, default=45, help="seconds per variant before its worker is killed")
    ap.add_argument("--vectors", type=Path, help="folder of the original tools' streams (cases.tsv)")
    ap.add_argument("--cuszp", type=Path, default=REPO / ".cuszp", help="cuSZp sources (optional)")
    ap.add_argument("--arch", default="", help="nvcc -arch (default: the device's, else sm_90)")
    ap.add_argument("--ncu", default="", help="comma-separated variant names to profile with ncu afterwards")
    ap.add_argument("--ncu-source", action="store_true",
                    help="also the source counters: per SASS instruction, into $OUT/ncu/NAME.sass.csv")
    ap.add_argument("--ncu-timeout", type=float, default=90, help="seconds per ncu profile")
    ap.add_argument("--build-only", action="store_true", help="build every variant and stop (no GPU needed)")
    ap.add_argument("--adopt", type=Path, help="write the recommended defaults lines of this sweep.json")
    ap.add_argument("--out", type=Path, default=Path(os.environ.get("OUT") or "/tmp/szagents-sweep"))
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.sizes = [s for s in args.sizes.split(",") if s]
    if not args.sizes or any(s not in SIZES for s in args.sizes):
        ap.error(f"--sizes: choose from {', '.join(SIZES)}")
    if args.reps < 1 or args.runs < 1:
        ap.error("--reps and --runs must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.adopt:
        return adopt(args.adopt)
    if args.worker:
        return worker_main(args)
    args.vectors = vectors_arg(args.vectors)
    if args.vectors:
        os.environ["SZAGENTS_VECTORS"] = str(args.vectors)  # read by gk.vector_cases, in the workers too

    t0 = time.time()
    args.out.mkdir(parents=True, exist_ok=True)
    log = Log(args.out / "sweep.log")
    arch = args.arch or ("sm_90" if args.build_only else device_arch())
    variants = select(VARIANTS, args.only, args.quick)
    build_dir = REPO / "build" / "sweep"
    log(f"== {len(variants)} variants for {arch}; vectors: {args.vectors or 'NOT FOUND'}")
    built = build_all(variants, build_dir, arch, timeout=180)
    ptxas = [f"{v.name} [{v.source.relative_to(REPO)}] {' '.join(v.flags)}\n"
             f"{b['ptxas'] if not b['error'] else 'BUILD FAILED: ' + b['error']}"
             for v in variants for b in [built[v.name]]]
    (args.out / "ptxas.txt").write_text("\n".join(ptxas) + "\n")
    for v in variants:
        b = built[v.name]
        log(f"built {v.name}" + (" SPILLS" if b["spills"] else "") if not b["error"] else
            f"BUILD FAILED {v.name}: {b['error'][-400:]}")
    cuszp_lib = None
    if (args.cuszp / "src" / "cuSZp_kernels_1D_f32.cu").is_file() and not args.build_only:
        try:
            cuszp_lib = cc.build_shim(args.cuszp.resolve(), arch, build_dir)
        except (RuntimeError, OSError) as exc:
            log(f"cuSZp build failed, compared without it: {exc}")
    elif not args.build_only:
        log(f"cuSZp sources not in {args.cuszp}: no cuSZp columns, no byte check against cuSZp")
    log(f"builds done in {time.time() - t0:.0f} s")
    if args.build_only:
        return 1 if any(b["error"] or b["spills"] for b in built.values()) else 0

    jobs = {v.name: {"name": v.name, "kernel": v.kernel, "mode": v.mode, "tag": v.tag,
                     "defines": [list(d) for d in v.defines], "lib": built[v.name]["lib"]}
            for v in variants if not built[v.name]["error"]}
    results = {v.name: {"variant": v.name, "error": "build failed"} for v in variants if built[v.name]["error"]}
    order = ([{"name": "cuszp", "cuszp": True, "lib": str(cuszp_lib)}] if cuszp_lib else []) + list(jobs.values())
    results.update(run_jobs(order, args, log, deadline=t0 + args.budget))
    compare_bytes(results, variants)
    variant_table(results, variants, built, args.sizes, log)
    rec = recommend(results, variants, built, args.sizes, log)
    goal = goals(results, rec, args.sizes, log)
    if args.ncu:
        run_ncu([n for n in args.ncu.split(",") if n], jobs, args, log)
    (args.out / "sweep.json").write_text(json.dumps(
        {"arch": arch, "sizes": args.sizes, "reps": args.reps, "runs": args.runs,
         "variants": [asdict(v) | {"name": v.name, "flags": v.flags, "source": str(v.source.relative_to(REPO))}
                      for v in variants],
         "builds": built, "results": results, "recommended": rec, "goals": goal, "wall_s": time.time() - t0},
        indent=1))
    log(f"\nwrote {args.out}/sweep.json, sweep.log, ptxas.txt, worker-*.log in {time.time() - t0:.0f} s")
    bad = [n for n in ("szp-plain-default", "szp-outlier-default", "szx-ra-default")
           if n in results and not passed(results[n])]
    if bad:
        log(f"DEFAULT BUILDS FAILED A CHECK: {', '.join(bad)}")
    none = not any(passed(r) for name, r in results.items() if name != "cuszp")
    if none:
        log("NO VARIANT PASSED (see the worker logs)")
    return 1 if bad or none else 0


if __name__ == "__main__":
    sys.exit(main())
