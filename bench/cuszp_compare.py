"""cuSZp against the SZp CUDA references, side by side in one process on one GPU.

Standalone (numpy, cupy, ctypes and nvcc; nothing that needs LangGraph). From the repository root:

    python bench/cuszp_compare.py [--cuszp DIR] [--sizes climate,grf256m,grf2g] [--reps 30]
                                  [--runs 3] [--json OUT] [--arch sm_90] [--build-only]

cuSZp is built from its public sources, taken from DIR (default .cuszp/, git-ignored; never
committed): bench/cuszp_shim.cu includes its 1D float32 kernel and entry sources. Our side is
kernels/szp/reference.cu (plain, and outlier with -DSZP_OUTLIER=1) through the C ABI.

For every field (REL 1e-3: eb = 1e-3 * value range) and mode (plain, outlier), on the same device
buffers and one blocking stream (cuSZp's entry reads its size with a legacy-stream cudaMemcpy, which
is only ordered after a blocking stream):
  * kernel vs kernel: cuSZp's __global__ kernels launched as its entry launches them, with
    preallocated scan arrays cleared on the stream and (compression) the size read back on the
    stream, against sz_compress / sz_decompress with preallocated buffers;
  * entry vs entry: cuSZp's public entry functions (cudaMalloc/cudaFree inside) against the same
    ABI calls (the ABI is our entry point; it is timed once and shown in both tables).
Each call: 3 warm-ups, then `reps` timed calls, each after 128 MB written (2x the 50 MB L2),
CUDA events on the stream; the median. GB/s = input bytes / median time (decimal).
Roofline (input bytes/s) = copy bandwidth / (1 + 1/CR): the input read once and the stream
written once (decompression: the stream read once, the output written once); the copy bandwidth is
a 1 GiB cudaMemcpyDeviceToDevice measured in the same run, (read + write bytes) / time.
Checks (first run): our streams are byte-identical to cuSZp's (plain to plain, outlier to outlier;
kernel and entry), each side decodes the other's stream within the bound, sizes agree.
--runs N repeats the whole measurement; every cell is printed as min-max over the runs.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import gpu_kernels as gk

REPO = Path(__file__).resolve().parent.parent
SHIM = REPO / "bench" / "cuszp_shim.cu"
CUSZP_FILES = ("src/cuSZp_kernels_1D_f32.cu", "src/cuSZp_entry_1D_f32.cu",
               "include/cuSZp/cuSZp_kernels_1D_f32.h", "include/cuSZp/cuSZp_entry_1D_f32.h")
MODES = {"plain": 1, "outlier": 2}
SIZES = ("climate", "grf256m", "grf2g")
FLUSH_BYTES = 128 << 20  # 2x the H200's 50 MB L2, written before every timed call
PATHS = ("kernel", "entry")


# ---- Arithmetic ----------------------------------------------------------------------------------
def gbps(nbytes: int, ms: float) -> float:
    """Decimal GB/s of nbytes in ms milliseconds."""
    return nbytes / (ms * 1e-3) / 1e9


def roofline_gbps(copy_gbps: float, ratio: float) -> float:
    """Input bytes/s when the input (or output) and the stream each cross memory once."""
    return copy_gbps / (1.0 + 1.0 / ratio)


def spread(values: list[float], fmt: str = ".0f") -> str:
    lo, hi = min(values), max(values)
    return f"{lo:{fmt}}" if f"{lo:{fmt}}" == f"{hi:{fmt}}" else f"{lo:{fmt}}-{hi:{fmt}}"


# ---- Build ----------------------------------------------------------------------------------------
def cuszp_sources(folder: Path) -> Path:
    """The cuSZp source folder, or exit 2 with the fix."""
    missing = [f for f in CUSZP_FILES if not (folder / f).is_file()]
    if missing:
        print(f"error: cuSZp sources not found in {folder} (missing {missing[0]}): clone "
                 "https://github.com/szcompressor/cuSZp into .cuszp/ in the repository root, or "
                 "pass --cuszp DIR", file=sys.stderr)
        sys.exit(2)
    return folder


def build_shim(cuszp: Path, arch: str, out_dir: Path) -> Path:
    lib = out_dir / "libcuszp_shim.so"
    cmd = ["nvcc", "-O3", f"-arch={arch}", "-std=c++17", "-shared", "-Xcompiler", "-fPIC",
           "-I", str(cuszp / "include" / "cuSZp"), "-I", str(cuszp / "src"), str(SHIM), "-o", str(lib)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)}\n{proc.stderr}")
    return lib


def build_ours(arch: str, out_dir: Path) -> dict[str, gk.GpuCodec]:
    """kernels/szp/reference.cu, plain and outlier, through gpu_kernels' build."""
    variants = [gk.Variant("szp", "reference", mode) for mode in MODES]
    extra = () if arch == "sm_90" else (f"-arch={arch}",)  # the later -arch wins
    built = gk.build_all(variants, out_dir, extra)
    return {v.mode: gk.GpuCodec(built[v][0], v) for v in variants}


class CuSZp:
    """The shim's entry points; device arrays are CuPy arrays, errors raise."""

    def __init__(self, lib: Path):
        self.lib = ctypes.CDLL(str(lib))
        vp, sz, fl, i = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_float, ctypes.c_int
        psz = ctypes.POINTER(sz)
        sigs = {"cuszp_kernel_compress": [i, vp, vp, sz, fl, vp, psz, vp],
                "cuszp_kernel_decompress": [i, vp, vp, sz, fl, vp, vp],
                "cuszp_entry_compress": [i, vp, vp, sz, fl, psz, vp],
                "cuszp_entry_decompress": [i, vp, sz, vp, sz, fl, vp]}
        for name, args in sigs.items():
            getattr(self.lib, name).argtypes, getattr(self.lib, name).restype = args, i
        self.lib.cuszp_scratch_bytes.argtypes, self.lib.cuszp_scratch_bytes.restype = [sz], sz

    @staticmethod
    def _check(err: int, what: str) -> None:
        if err:
            raise RuntimeError(f"cuSZp {what}: CUDA error {err}")

    def scratch_bytes(self, n: int) -> int:
        return self.lib.cuszp_scratch_bytes(n)

    def compress(self, path: str, mode: str, x, out, eb: float, stream, scratch=None) -> int:
        nbytes = ctypes.c_size_t(0)
        if path == "kernel":
            err = self.lib.cuszp_kernel_compress(MODES[mode], x.data.ptr, out.data.ptr, x.size, eb,
                                                 scratch.data.ptr, ctypes.byref(nbytes), stream.ptr)
        else:
            err = self.lib.cuszp_entry_compress(MODES[mode], x.data.ptr, out.data.ptr, x.size, eb,
                                                ctypes.byref(nbytes), stream.ptr)
        self._check(err, f"{path} compress")
        return nbytes.value

    def decompress(self, path: str, mode: str, data, nbytes: int, y, eb: float, stream, scratch=None) -> None:
        if path == "kernel":
            err = self.lib.cuszp_kernel_decompress(MODES[mode], data.data.ptr, y.data.ptr, y.size, eb,
                                                   scratch.data.ptr, stream.ptr)
        else:
            err = self.lib.cuszp_entry_decompress(MODES[mode], data.data.ptr, nbytes, y.data.ptr,
                                                  y.size, eb, stream.ptr)
        self._check(err, f"{path} decompress")


# ---- Fields and checks --------------------------------------------------------------------------
def make_fields(names: list[str]) -> dict:
    """climate (1800x3600), grf256m (2^26 values), grf2g (grf256m tiled x8), made on the device."""
    import cupy as cp

    fields = {}
    if "climate" in names:
        fields["climate"] = gk.climate2d()
    if "grf256m" in names or "grf2g" in names:
        grf = gk.grf3d()
        if "grf256m" in names:
            fields["grf256m"] = grf
        if "grf2g" in names:
            fields["grf2g"] = cp.tile(grf, 8)
    return {name: fields[name] for name in names}


def bound_ok(x, y, eb: float) -> bool:
    """|x - y| <= eb + 4 ulp(x) everywhere, on the device; a NaN (unwritten output) fails."""
    import cupy as cp

    x64 = x.astype(cp.float64)
    return bool((cp.abs(x64 - y.astype(cp.float64)) <= eb + 4.8e-7 * cp.abs(x64)).all())


@dataclass
class Pair:
    """One field and mode: both libraries and the device buffers they share."""

    cz: CuSZp
    ours: gk.GpuCodec
    mode: str
    x: object
    eb: float

    def __post_init__(self):
        import cupy as cp

        cap = self.ours.capacity(self.x.size)
        self.a, self.b = cp.empty(cap, cp.uint8), cp.empty(cap, cp.uint8)  # ours, cuSZp
        self.scratch = cp.empty(self.cz.scratch_bytes(self.x.size), cp.uint8)
        self.y = cp.empty(self.x.size, cp.float32)

    def compress_both(self, stream) -> tuple[int, int]:
        status, n_ours = self.ours.compress(self.x, self.eb, self.a, stream)
        if status:
            raise RuntimeError(f"sz_compress ({self.mode}): status {gk.STATUS.get(status, status)}")
        return n_ours, self.cz.compress("kernel", self.mode, self.x, self.b, self.eb, stream, self.scratch)


def check_pair(p: Pair, stream) -> dict:
    """Byte identity (kernel and entry streams), sizes, and each side decoding the other's stream."""
    import cupy as cp

    n_ours, n_cz = p.compress_both(stream)
    e = cp.empty_like(p.b)
    n_entry = p.cz.compress("entry", p.mode, p.x, e, p.eb, stream)
    stream.synchronize()
    same = n_ours == n_cz and bool(cp.array_equal(p.a[:n_ours], p.b[:n_cz]))
    entry_same = n_entry == n_cz and bool(cp.array_equal(e[:n_entry], p.b[:n_cz]))
    p.y.fill(cp.nan)  # our decoder writes every value
    status = p.ours.decompress(p.b, n_cz, p.x.size, p.eb, p.y, stream)
    stream.synchronize()
    ours_reads_cuszp = status == 0 and bound_ok(p.x, p.y, p.eb)
    p.y.fill(0)  # cuSZp never writes rate-0 blocks: its callers zero the output first
    p.cz.decompress("kernel", p.mode, p.a, n_ours, p.y, p.eb, stream, p.scratch)
    stream.synchronize()
    checks = {"identical": same, "entry_identical": entry_same,
              "ours_decodes_cuszp": ours_reads_cuszp, "cuszp_decodes_ours": bound_ok(p.x, p.y, p.eb)}
    return {"bytes_ours": n_ours, "bytes_cuszp_kernel": n_cz, "bytes_cuszp_entry": n_entry, **checks,
            "ok": all(checks.values())}


def time_pair(p: Pair, stream, flush, reps: int) -> dict:
    """The stream size and the median ms of every cell: ours_{c,d}, cuszp_{kernel,entry}_{c,d}."""
    import cupy as cp

    n_ours, n_cz = p.compress_both(stream)
    p.y.fill(0)
    x, eb, n, cz, mode = p.x, p.eb, p.x.size, p.cz, p.mode
    calls = {
        "ours_c": lambda: p.ours.compress(x, eb, p.a, stream),
        "ours_d": lambda: p.ours.decompress(p.a, n_ours, n, eb, p.y, stream),
        "cuszp_kernel_c": lambda: cz.compress("kernel", mode, x, p.b, eb, stream, p.scratch),
        "cuszp_kernel_d": lambda: cz.decompress("kernel", mode, p.b, n_cz, p.y, eb, stream, p.scratch),
        "cuszp_entry_c": lambda: cz.compress("entry", mode, x, p.b, eb, stream),
        "cuszp_entry_d": lambda: cz.decompress("entry", mode, p.b, n_cz, p.y, eb, stream),
    }
    ms = {k: gk.time_call(fn, stream, flush, reps, 1).median_ms() for k, fn in calls.items()}
    cp.cuda.runtime.deviceSynchronize()
    return {"compressed_bytes": n_ours, "ms": ms}


# ---- Runs and report -------------------------------------------------------------------------------
def measure(args, cz: CuSZp, ours: dict, fields: dict, stream) -> tuple[list[dict], list[dict]]:
    """Every field and mode, args.runs times; the checks in the first run."""
    import cupy as cp

    flush = cp.empty(FLUSH_BYTES, cp.uint8)
    rows, checks = [], []
    for run in range(args.runs):
        copy = gk.copy_bandwidth_gbps(stream)
        print(f"run {run + 1}/{args.runs}: device copy {copy:.0f} GB/s (read + write)", flush=True)
        for name, x in fields.items():
            eb = float(np.float32(1e-3 * float(x.max() - x.min())))
            for mode in MODES:
                pair = Pair(cz, ours[mode], mode, x, eb)
                if run == 0:
                    checks.append({"field": name, "mode": mode, "eb": eb, **check_pair(pair, stream)})
                    print(json.dumps(checks[-1]), flush=True)
                rows.append({"run": run, "field": name, "mode": mode, "input_bytes": x.nbytes,
                             "copy_gbps": copy, **time_pair(pair, stream, flush, args.reps)})
                print(json.dumps(rows[-1]), flush=True)
                del pair
                cp.get_default_memory_pool().free_all_blocks()
    return rows, checks


def cells(rows: list[dict], path: str) -> dict[str, list[float]]:
    """Per-run values of one field and mode: GB/s, ours/cuSZp and % of the roofline."""
    out: dict[str, list[float]] = {"cr": [r["input_bytes"] / r["compressed_bytes"] for r in rows]}
    roof = [roofline_gbps(r["copy_gbps"], cr) for r, cr in zip(rows, out["cr"])]
    for d in ("c", "d"):
        cz = [gbps(r["input_bytes"], r["ms"][f"cuszp_{path}_{d}"]) for r in rows]
        us = [gbps(r["input_bytes"], r["ms"][f"ours_{d}"]) for r in rows]
        out[f"cuszp_{d}"], out[f"ours_{d}"] = cz, us
        out[f"ratio_{d}"] = [u / c for u, c in zip(us, cz)]
        out[f"cuszp_roof_{d}"] = [100 * c / f for c, f in zip(cz, roof)]
        out[f"ours_roof_{d}"] = [100 * u / f for u, f in zip(us, roof)]
    return out


def summary(rows: list[dict]) -> dict[str, dict]:
    """path -> "field/mode" -> cells."""
    keys = list(dict.fromkeys((r["field"], r["mode"]) for r in rows))
    return {path: {f"{f}/{m}": cells([r for r in rows if (r["field"], r["mode"]) == (f, m)], path)
                   for f, m in keys} for path in PATHS}


def print_tables(table: dict[str, dict], runs: int, copy_gbps: list[float]) -> None:
    print(f"\ndevice copy {spread(copy_gbps)} GB/s (read + write); roofline = copy / (1 + 1/CR)")
    cols = [("cuSZp c", "cuszp_c", ".0f"), ("cuSZp d", "cuszp_d", ".0f"), ("ours c", "ours_c", ".0f"),
            ("ours d", "ours_d", ".0f"), ("x c", "ratio_c", ".2f"), ("x d", "ratio_d", ".2f"),
            ("cuSZp %rf c", "cuszp_roof_c", ".0f"), ("cuSZp %rf d", "cuszp_roof_d", ".0f"),
            ("ours %rf c", "ours_roof_c", ".0f"), ("ours %rf d", "ours_roof_d", ".0f")]
    for path, by_key in table.items():
        print(f"\n== {path} vs {path}: GB/s (input bytes / median), x = ours/cuSZp, %rf = % of the "
              f"roofline; min-max over {runs} run(s)")
        head = f"{'field/mode':<18}{'CR':>10}" + "".join(f"{c[0]:>13}" for c in cols)
        print(head + "\n" + "-" * len(head))
        for key, c in by_key.items():
            print(f"{key:<18}{spread(c['cr'], '.2f'):>10}" + "".join(f"{spread(c[k], f):>13}" for _, k, f in cols))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cuszp", type=Path, default=REPO / ".cuszp", help="cuSZp source folder (default .cuszp/)")
    ap.add_argument("--sizes", default=",".join(SIZES), help=f"comma-separated subset of {','.join(SIZES)}")
    ap.add_argument("--reps", type=int, default=30, help="timed calls per cell (after 3 warm-ups)")
    ap.add_argument("--runs", type=int, default=3, help="repeat the whole measurement; cells show min-max")
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--arch", help="nvcc -arch (default: the device's, e.g. sm_90)")
    ap.add_argument("--build-only", action="store_true", help="build and load both libraries, then stop")
    args = ap.parse_args(argv)
    args.sizes = [s for s in args.sizes.split(",") if s]
    bad = [s for s in args.sizes if s not in SIZES] or ([] if args.sizes else [""])
    if bad:
        ap.error(f"--sizes: {bad[0]!r} is not one of {', '.join(SIZES)}")
    if args.reps < 1 or args.runs < 1:
        ap.error(f"--reps {args.reps} / --runs {args.runs}: both must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cuszp = cuszp_sources(args.cuszp.resolve())
    if not args.build_only:
        import cupy as cp
    arch = args.arch or ("sm_90" if args.build_only else f"sm_{cp.cuda.Device().compute_capability}")
    out_dir = REPO / "build" / "cuszp_compare"
    out_dir.mkdir(parents=True, exist_ok=True)
    cz, ours = CuSZp(build_shim(cuszp, arch, out_dir)), build_ours(arch, out_dir)
    print(f"built cuSZp from {cuszp} and kernels/szp/reference.cu (plain, outlier) for {arch}")
    if args.build_only:
        return 0
    stream = cp.cuda.Stream(non_blocking=False)  # blocking: cuSZp's entry reads its size on stream 0
    with stream:
        rows, checks = measure(args, cz, ours, make_fields(args.sizes), stream)
    table = summary(rows)
    print_tables(table, args.runs, sorted({r["copy_gbps"] for r in rows}))
    failed = [c for c in checks if not c["ok"]]
    for c in failed:
        print(f"CHECK FAILED {c['field']}/{c['mode']}: {json.dumps(c)}")
    if args.json:
        device = cp.cuda.runtime.getDeviceProperties(cp.cuda.Device().id)["name"].decode()
        args.json.write_text(json.dumps({"device": device, "arch": arch, "cuszp": str(cuszp), "reps": args.reps,
                                         "checks": checks, "rows": rows, "summary": table}, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
