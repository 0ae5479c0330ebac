"""Build, check and time the CUDA reference and baseline kernels of SZp and SZx on one GPU.

Standalone (numpy, cupy and ctypes only). From the repository root:

    python bench/gpu_kernels.py [--quick] [--reps 20] [--runs 3] [--log-dir DIR]

1. builds kernels/{szp,szx}/{reference,baseline}.cu with nvcc (SZp also with -DSZP_OUTLIER=1)
   and prints the ptxas register/spill report;
2. checks every build byte for byte against the streams of the original tools (the vectors:
   $SZAGENTS_VECTORS, else ../shared/vectors, else .vectors) and that the original streams decode
   within the bound;
3. round-trips two generated fields (a 256x512x512 Gaussian random field with a k^-17/3 spectrum
   and a 1800x3600 climate-like field, both made with CuPy on the device) at REL 1e-3, and times
   compression and decompression: CUDA events on the ABI stream around the call, a device sync,
   warm-up, `reps` repetitions in each of `runs` runs, the 50 MB L2 flushed (128 MB written)
   before every repetition. Throughput = input bytes / median time, decimal GB/s.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
KERNELS = REPO / "kernels"
NVCC_FLAGS = ["-O3", "-arch=sm_90", "-shared", "-Xcompiler", "-fPIC", "-I", str(KERNELS / "abi")]
STATUS = {0: "ok", 1: "argument", 2: "capacity", 3: "range", 4: "format", 5: "device"}


@dataclass(frozen=True)
class Variant:
    """One build: kernel (szp|szx), source (reference|baseline), mode (plain|outlier|ra)."""

    kernel: str
    source: str
    mode: str

    @property
    def name(self) -> str:
        return f"{self.kernel}-{self.source}-{self.mode}"

    @property
    def defines(self) -> list[str]:
        return ["-DSZP_OUTLIER=1"] if self.mode == "outlier" else []

    @property
    def vector_kind(self) -> str:
        return {"plain": "cuszp_plain", "outlier": "cuszp_outlier", "ra": "szx_ra"}[self.mode]

    @property
    def has_f64(self) -> bool:
        return self.kernel == "szp"


VARIANTS = [Variant("szp", s, m) for s in ("reference", "baseline") for m in ("plain", "outlier")]
VARIANTS += [Variant("szx", s, "ra") for s in ("reference", "baseline")]


# ---- Build ------------------------------------------------------------------------------------
def build(variant: Variant, out_dir: Path, extra: tuple[str, ...] = (), source: Path | None = None) -> tuple[Path, str]:
    """Compile one variant (from source instead of the repository's file where given) into out_dir; return the
    library and its ptxas resource summary."""
    src = source or KERNELS / variant.kernel / f"{variant.source}.cu"
    lib = out_dir / f"lib{variant.name}.so"
    cmd = ["nvcc", *NVCC_FLAGS, *variant.defines, *extra, "-Xptxas", "-v", str(src), "-o", str(lib)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)}\n{proc.stderr}")
    return lib, ptxas_summary(proc.stderr)


def ptxas_summary(log: str) -> str:
    """One line per kernel: demangled name, registers, spills, shared memory."""
    lines, name, spill = [], "", ""
    for line in log.splitlines():
        if "Compiling entry function" in line:
            name = line.split("'")[1]
        elif "spill stores" in line:
            spill = line.split(",", 1)[1].strip()
        elif "Used" in line and "registers" in line and name:
            lines.append(f"  {demangle(name)}: {line.split(':', 1)[1].strip()}; {spill}")
            name = ""
    return "\n".join(lines)


def demangle(name: str) -> str:
    try:
        out = subprocess.run(["c++filt", name], capture_output=True, text=True).stdout.strip()
    except OSError:
        return name
    return out.replace("(anonymous namespace)::", "").split("(")[0] or name


def build_all(variants: list[Variant], out_dir: Path, extra: tuple[str, ...] = ()) -> dict[Variant, tuple[Path, str]]:
    out_dir.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(len(variants)) as pool:
        return dict(zip(variants, pool.map(lambda v: build(v, out_dir, extra), variants)))


# ---- The ABI through ctypes ---------------------------------------------------------------------
class GpuCodec:
    """sz_compress / sz_decompress (and the f64 pair where present) of one built library."""

    def __init__(self, lib: Path, variant: Variant):
        self.variant = variant
        self.lib = ctypes.CDLL(str(lib))
        vp, sz = ctypes.c_void_p, ctypes.c_size_t
        for suffix in ("", "_f64") if variant.has_f64 else ("",):
            c = getattr(self.lib, "sz_compress" + suffix)
            c.argtypes = [vp, sz, ctypes.c_float, vp, sz, ctypes.POINTER(sz), vp]
            c.restype = ctypes.c_int
            d = getattr(self.lib, "sz_decompress" + suffix)
            d.argtypes = [vp, sz, sz, ctypes.c_float, vp, vp]
            d.restype = ctypes.c_int

    @staticmethod
    def _suffix(dtype) -> str:
        return "_f64" if np.dtype(dtype) == np.float64 else ""

    def capacity(self, n: int) -> int:
        """A capacity that always suffices."""
        if self.variant.kernel == "szp":
            return (n + 32767) // 32768 * 1024 + (n + 31) // 32 * 136
        return 20 + (n + 127) // 128 * 560

    def compress(self, x, eb: float, out, stream, n: int | None = None, capacity=None):
        """Compress device array x into device uint8 array out; return (status, nbytes)."""
        nbytes = ctypes.c_size_t(0)
        fn = getattr(self.lib, "sz_compress" + self._suffix(x.dtype))
        status = fn(x.data.ptr, x.size if n is None else n, eb, out.data.ptr,
                    out.nbytes if capacity is None else capacity, ctypes.byref(nbytes), stream.ptr)
        return status, nbytes.value

    def decompress(self, data, nbytes: int, n: int, eb: float, out, stream) -> int:
        fn = getattr(self.lib, "sz_decompress" + self._suffix(out.dtype))
        return fn(data.data.ptr, nbytes, n, eb, out.data.ptr, stream.ptr)


# ---- Data ----------------------------------------------------------------------------------------
def vectors_dir() -> Path | None:
    for p in (os.environ.get("SZAGENTS_VECTORS"), REPO.parent / "shared" / "vectors", REPO / ".vectors",
              REPO / "tests" / "data" / "vectors"):
        if p and (Path(p) / "cases.tsv").exists():
            return Path(p)
    return None


@dataclass(frozen=True)
class Case:
    name: str
    dtype: np.dtype
    n: int
    eb: float
    folder: Path

    def data(self) -> np.ndarray:
        return np.fromfile(self.folder / f"{self.name}.{self.dtype.kind}{self.dtype.itemsize * 8}", self.dtype)

    def stream(self, kind: str) -> bytes | None:
        p = self.folder / f"{self.name}.{kind}"
        return p.read_bytes() if p.exists() else None


def vector_cases() -> list[Case]:
    folder = vectors_dir()
    if folder is None:
        return []
    cases = []
    for line in (folder / "cases.tsv").read_text().splitlines():
        if line.strip():
            name, dt, n, eb = line.split("\t")
            cases.append(Case(name, np.dtype(dt.replace("f", "float")), int(n), float(eb), folder))
    return cases


def grf3d(shape=(256, 512, 512), seed=17, slope=17.0 / 3.0):
    """Gaussian random field with power spectrum k^-slope (made on the device), unit variance."""
    import cupy as cp

    rng = cp.random.default_rng(seed)
    white = rng.standard_normal(shape, dtype=cp.float32)
    spec = cp.fft.rfftn(white)
    del white
    k2 = cp.zeros(spec.shape, cp.float32)
    for axis, size in enumerate(shape):
        f = cp.fft.rfftfreq(size) if axis == len(shape) - 1 else cp.fft.fftfreq(size)
        view = [1] * len(shape)
        view[axis] = f.size
        k2 = k2 + (f.astype(cp.float32) ** 2).reshape(view)
    k2[(0,) * len(shape)] = cp.inf
    spec *= k2 ** (-slope / 4.0)  # amplitude = sqrt(P) = k^(-slope/2) = (k^2)^(-slope/4)
    field = cp.fft.irfftn(spec, s=shape).astype(cp.float32)
    return ((field - field.mean()) / field.std()).astype(cp.float32).ravel()


def climate2d(ny=1800, nx=3600, seed=5):
    """Climate-like 2D field: smooth large-scale pattern in lat/lon plus small-scale noise."""
    import cupy as cp

    lat = cp.linspace(-cp.pi / 2, cp.pi / 2, ny, dtype=cp.float32)[:, None]
    lon = cp.linspace(0, 2 * cp.pi, nx, endpoint=False, dtype=cp.float32)[None, :]
    base = 250 + 40 * cp.cos(lat) + 6 * cp.sin(2 * lon) * cp.cos(lat) ** 2 + 4 * cp.sin(3 * lat) * cp.cos(lon)
    rough = grf3d((ny, nx), seed=seed, slope=3.0).reshape(ny, nx)
    white = cp.random.default_rng(seed + 1).standard_normal((ny, nx), dtype=cp.float32)
    return (base + 1.5 * rough + 0.05 * white).astype(cp.float32).ravel()


# ---- Checks ------------------------------------------------------------------------------------------
def within_bound(x: np.ndarray, y: np.ndarray, eb: float) -> tuple[bool, float]:
    """|x - y| <= eb + 4 ulp(x) everywhere (float64 comparison); NaN must come back as NaN."""
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    nan = np.isnan(x64)
    if (np.isnan(y64) != nan).any():
        return False, float("nan")
    same = x64[~nan] == y64[~nan]  # also Inf == Inf
    with np.errstate(invalid="ignore"):
        err = np.where(same, 0.0, np.abs(x64[~nan] - y64[~nan]))
    with np.errstate(invalid="ignore"):
        tol = eb + 4 * np.spacing(np.abs(x[~nan])).astype(np.float64)
    return bool((same | (err <= tol)).all()), float(err.max(initial=0.0))


def roundtrip(codec: GpuCodec, x_host: np.ndarray, eb: float, stream):
    """Compress and decompress as the harness does (poisoned buffers); return (ok, detail, cr)."""
    import cupy as cp

    x = cp.asarray(x_host)
    out = cp.full(codec.capacity(x.size), 0xAB, cp.uint8)
    status, nbytes = codec.compress(x, eb, out, stream)
    stream.synchronize()
    if status:
        return False, f"compress status {STATUS.get(status, status)}", 0.0
    fresh = out[:nbytes].copy()
    out.fill(0xCD)
    x.fill(cp.nan)
    y = cp.full(x_host.size, cp.nan, x_host.dtype)
    status = codec.decompress(fresh, nbytes, x_host.size, eb, y, stream)
    stream.synchronize()
    if status:
        return False, f"decompress status {STATUS.get(status, status)}", 0.0
    ok, err = within_bound(x_host, cp.asnumpy(y), eb)
    return ok, f"max err {err:.3g} (eb {eb:.3g})", x_host.nbytes / nbytes


def first_difference(a: bytes, b: bytes) -> str:
    for i in range(min(len(a), len(b))):
        if a[i] != b[i]:
            return f"first difference at byte {i}: got {a[i:i + 8].hex()} want {b[i:i + 8].hex()}"
    return f"sizes differ: got {len(a)} want {len(b)}"


def check_vectors(codec: GpuCodec, cases: list[Case], stream) -> list[str]:
    """Byte equality with the original tools' streams, and their decoding within the bound."""
    import cupy as cp

    lines = []
    for case in cases:
        want = case.stream(codec.variant.vector_kind)
        if want is None or (case.dtype == np.float64 and not codec.variant.has_f64):
            continue
        data = case.data()
        x = cp.asarray(data)
        out = cp.full(codec.capacity(data.size), 0xAB, cp.uint8)
        status, nbytes = codec.compress(x, case.eb, out, stream)
        stream.synchronize()
        got = cp.asnumpy(out[:nbytes]).tobytes() if status == 0 else b""
        same = got == want
        detail = "identical" if same else (f"status {status}" if status else first_difference(got, want))
        y = cp.full(data.size, cp.nan, data.dtype)
        ref = cp.asarray(np.frombuffer(want, np.uint8))
        dstatus = codec.decompress(ref, len(want), data.size, case.eb, y, stream)
        stream.synchronize()
        ok, err = within_bound(data, cp.asnumpy(y), case.eb) if dstatus == 0 else (False, 0.0)
        lines.append(f"{'PASS' if same and ok else 'FAIL'} {codec.variant.name} {case.name}: "
                     f"{detail}; decode of the original stream: "
                     f"{'ok' if ok else 'BAD'} (status {dstatus}, max err {err:.3g})")
    return lines


# ---- Timing -----------------------------------------------------------------------------------------
@dataclass
class Timing:
    runs_ms: list[list[float]] = field(default_factory=list)

    def median_ms(self) -> float:
        return float(np.median(np.concatenate([np.asarray(r) for r in self.runs_ms])))

    def run_medians_ms(self) -> list[float]:
        return [float(np.median(r)) for r in self.runs_ms]

    def cv(self) -> float:
        """Standard deviation over mean of every repetition (the harness's CV)."""
        values = np.concatenate([np.asarray(r) for r in self.runs_ms])
        return float(values.std() / values.mean())


def time_call(fn, stream, flush, reps: int, runs: int, warmup: int = 3, wait_for_flush: bool = False) -> Timing:
    """CUDA events on the ABI stream around fn(); 128 MB written before each rep (L2 flush).

    wait_for_flush: the host waits for the flush before it records the start and calls, as the harness does
    (the call's launch latency is then inside the window); by default the call is queued behind the flush, as
    Triton's do_bench and nvbench time."""
    import cupy as cp

    start, end = cp.cuda.Event(), cp.cuda.Event()
    for _ in range(warmup):
        fn()
    stream.synchronize()
    timing = Timing()
    for run in range(runs):
        times = []
        for rep in range(reps):
            cp.cuda.runtime.memsetAsync(flush.data.ptr, (run * reps + rep) & 0xFF, flush.nbytes, stream.ptr)
            if wait_for_flush:
                stream.synchronize()
            start.record(stream)
            fn()
            end.record(stream)
            end.synchronize()
            times.append(cp.cuda.get_elapsed_time(start, end))
        timing.runs_ms.append(times)
    return timing


def copy_bandwidth_gbps(stream, nbytes: int = 1 << 30, reps: int = 10) -> float:
    """Device-to-device copy: (bytes read + bytes written) / median time."""
    import cupy as cp

    a, b = cp.ones(nbytes, cp.uint8), cp.empty(nbytes, cp.uint8)
    start, end = cp.cuda.Event(), cp.cuda.Event()
    times = []
    with stream:
        for i in range(reps + 2):
            start.record(stream)
            cp.copyto(b, a)
            end.record(stream)
            end.synchronize()
            if i >= 2:
                times.append(cp.cuda.get_elapsed_time(start, end))
    return 2 * nbytes / (np.median(times) * 1e-3) / 1e9


def bench_codec(codec: GpuCodec, x, eb: float, stream, flush, reps: int, runs: int) -> dict:
    import cupy as cp

    out = cp.empty(codec.capacity(x.size), cp.uint8)
    status, nbytes = codec.compress(x, eb, out, stream)
    stream.synchronize()
    if status:
        return {"error": f"compress status {STATUS.get(status, status)}"}
    data = out[:nbytes].copy()
    y = cp.full(x.size, cp.nan, x.dtype)  # poisoned: an unwritten value fails the bound
    status = codec.decompress(data, nbytes, x.size, eb, y, stream)
    stream.synchronize()
    diff = cp.abs(x.astype(cp.float64) - y.astype(cp.float64))
    err = float(diff.max())
    # eb plus 4 ulp of x (an ulp of |x| is at most |x| * 2^-23 for float32)
    excess = float((diff - eb - 4.8e-7 * cp.abs(x.astype(cp.float64))).max())
    comp = time_call(lambda: codec.compress(x, eb, out, stream), stream, flush, reps, runs)
    dec = time_call(lambda: codec.decompress(data, nbytes, x.size, eb, y, stream), stream, flush, reps, runs)
    gb = x.nbytes / 1e9
    return {
        "ratio": x.nbytes / nbytes, "compressed_bytes": nbytes, "max_abs_error": err, "eb": eb,
        "bound_ok": bool(status == 0 and excess <= 0.0),
        "compress_gbps": gb / (comp.median_ms() * 1e-3),
        "compress_run_gbps": [gb / (t * 1e-3) for t in comp.run_medians_ms()],
        "decompress_gbps": gb / (dec.median_ms() * 1e-3),
        "decompress_run_gbps": [gb / (t * 1e-3) for t in dec.run_medians_ms()],
    }


def spread(values: list[float]) -> str:
    return f"{min(values):.0f}-{max(values):.0f}"


def print_table(rows: list[dict], copy_gbps: float) -> None:
    print(f"\ndevice-to-device copy: {copy_gbps:.0f} GB/s (read + write)")
    head = (f"{'variant':<22}{'field':<11}{'CR':>7}{'comp GB/s':>11}{'(runs)':>11}{'dec GB/s':>10}"
            f"{'(runs)':>11}{'comp %copy':>11}{'dec %copy':>10}  bound")
    print(head)
    print("-" * len(head))
    for r in rows:
        if "error" in r:
            print(f"{r['variant']:<22}{r['field']:<11} {r['error']}")
            continue
        moved_c = r["input_bytes"] + r["compressed_bytes"]  # bytes read + written
        pc = 100 * moved_c / r["input_bytes"] * r["compress_gbps"] / copy_gbps
        pd = 100 * moved_c / r["input_bytes"] * r["decompress_gbps"] / copy_gbps
        print(f"{r['variant']:<22}{r['field']:<11}{r['ratio']:>7.2f}{r['compress_gbps']:>11.1f}"
              f"{spread(r['compress_run_gbps']):>11}{r['decompress_gbps']:>10.1f}"
              f"{spread(r['decompress_run_gbps']):>11}{pc:>10.1f}%{pd:>9.1f}%  "
              f"{'ok' if r['bound_ok'] else 'VIOLATED'}")


# ---- Main ------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small fields, few repetitions")
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--baseline-reps", type=int, default=5)
    ap.add_argument("--only", default="", help="comma-separated substrings of variant names")
    ap.add_argument("--skip-bench", action="store_true")
    ap.add_argument("--skip-checks", action="store_true")
    ap.add_argument("--nvcc-flags", default="", help="extra nvcc flags for every build (tuning)")
    ap.add_argument("--tag", default="", help="suffix of the JSON result file")
    ap.add_argument("--profile", action="store_true",
                    help="only run each variant 3 times on the 3D field (for ncu), no checks")
    ap.add_argument("--fields", default="grf3d,climate2d",
                    help=f"comma-separated fields to time (of {', '.join(FIELDS)})")
    ap.add_argument("--log-dir", type=Path, default=REPO / "bench" / "results")
    args = ap.parse_args(argv)
    unknown = set(args.fields.split(",")) - set(FIELDS)
    if unknown:
        ap.error(f"unknown field(s) {', '.join(sorted(unknown))}: choose from {', '.join(FIELDS)}")

    import cupy as cp

    variants = [v for v in VARIANTS if not args.only or any(s in v.name for s in args.only.split(","))]
    extra = tuple(args.nvcc_flags.split())
    built = build_all(variants, REPO / "build" / ("gpu" + args.tag), extra)
    print("== ptxas resource usage (nvcc -Xptxas -v)")
    for v in variants:
        print(f"{v.name}:\n{built[v][1]}")
    codecs = [GpuCodec(built[v][0], v) for v in variants]
    stream = cp.cuda.Stream(non_blocking=True)
    with stream:  # every CuPy operation is ordered with the ABI calls on this stream
        return run_checks_and_bench(args, codecs, stream)


def make_fields(names: str, quick: bool) -> dict:
    """The named fields on the device (quick: a small 3D field)."""
    return {name: FIELDS[name](quick) for name in names.split(",")}


FIELDS = {
    "climate2d": lambda quick: climate2d(),                                              # 25.9 MB
    "grf3d": lambda quick: grf3d((64, 128, 128) if quick else (256, 512, 512)),          # 256 MiB
    "grf2g": lambda quick: __import__("cupy").tile(grf3d((64, 128, 128) if quick else (256, 512, 512)), 8),
}


def profile_runs(codecs: list[GpuCodec], stream, fields: str) -> int:
    """Three compressions and decompressions of the first chosen field per variant (run under ncu)."""
    import cupy as cp

    x = next(iter(make_fields(fields.split(",")[0], False).values()))
    eb = float(np.float32(1e-3 * float(x.max() - x.min())))
    for codec in codecs:
        out = cp.empty(codec.capacity(x.size), cp.uint8)
        y = cp.empty_like(x)
        for _ in range(3):
            _, nbytes = codec.compress(x, eb, out, stream)
            codec.decompress(out, nbytes, x.size, eb, y, stream)
        stream.synchronize()
    return 0


def run_checks_and_bench(args, codecs: list[GpuCodec], stream) -> int:
    if args.profile:
        return profile_runs(codecs, stream, args.fields)

    failures = 0
    if not args.skip_checks:
        failures += run_checks(codecs, stream)
    if args.skip_bench:
        return 1 if failures else 0
    return bench_all(args, codecs, stream, failures)


def run_checks(codecs: list[GpuCodec], stream) -> int:
    """Vector byte equality and odd-size round trips; return the number of failures."""
    print("\n== byte equality with the original tools, and decoding of their streams")
    cases = vector_cases()
    if not cases:
        print("vectors not found: set SZAGENTS_VECTORS")
    failures = 0
    for codec in codecs:
        for line in check_vectors(codec, cases, stream):
            failures += line.startswith("FAIL")
            print(line)

    print("\n== round trips (poisoned buffers), odd sizes")
    rng = np.random.default_rng(3)
    for codec in codecs:
        for dtype in (np.float32, np.float64) if codec.variant.has_f64 else (np.float32,):
            for n in (1, 31, 33, 4097, 100003):
                x = (np.cumsum(rng.standard_normal(n)) * 0.1 + rng.standard_normal(n) * 0.01).astype(dtype)
                ok, detail, cr = roundtrip(codec, x, 1e-3, stream)
                failures += not ok
                print(f"{'PASS' if ok else 'FAIL'} {codec.variant.name} {np.dtype(dtype).name} n={n}: "
                      f"{detail}, CR {cr:.2f}")
    return failures


def bench_all(args, codecs: list[GpuCodec], stream, failures: int) -> int:
    import cupy as cp

    print("\n== throughput, REL 1e-3, L2 flushed between repetitions")
    fields = make_fields(args.fields, args.quick)
    flush = cp.empty(128 << 20, cp.uint8)
    copy_gbps = copy_bandwidth_gbps(stream)
    rows = []
    for fname, x in fields.items():
        eb = float(np.float32(1e-3 * float(x.max() - x.min())))
        for codec in codecs:
            reps = args.reps if codec.variant.source == "reference" else args.baseline_reps
            r = bench_codec(codec, x, eb, stream, flush, 3 if args.quick else reps, args.runs)
            r.update(variant=codec.variant.name, field=fname, input_bytes=x.nbytes)
            failures += not r.get("bound_ok", False)
            rows.append(r)
            print(json.dumps(r), flush=True)
    print_table(rows, copy_gbps)
    args.log_dir.mkdir(parents=True, exist_ok=True)
    (args.log_dir / f"gpu_kernels{args.tag}.json").write_text(json.dumps(
        {"device": cp.cuda.runtime.getDeviceProperties(0)["name"].decode(), "copy_gbps": copy_gbps,
         "rows": rows}, indent=1))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
