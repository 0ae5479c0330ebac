"""Build, check and time tuning variants of the CUDA references (SZp plain and outlier, SZx) in one call.

Standalone (numpy, cupy, ctypes and nvcc; reuses bench/gpu_kernels.py and bench/cuszp_compare.py).
From the repository root, on a GPU machine:

    OUT=/tmp/szagents-sweep python3 bench/cuda_sweep.py [--only SUBSTR,...] [--sizes climate,grf256m,grf2g]
                                                        [--reps 10] [--runs 3] [--budget 230] [--build-only]

1. builds every variant (a variant = one source with some -D tuning defines, see VARIANTS) in
   parallel, one nvcc process each with a timeout, and records ptxas' registers/spills;
2. runs every variant in its own Python process (a crash, an illegal address or a hang loses only
   that variant; each has a timeout) which checks it byte for byte against the original tools'
   streams (the vectors), round-trips odd sizes (f32, and f64 for SZp) within the bound, and then
   times compression and decompression kernel against kernel (CUDA events on the stream, the
   128 MB L2 flush of gpu_kernels.py before every call, `runs` x `reps` calls, the median) at
   25.9 MB (climate), 256 MiB and 2 GiB (smooth GRF), REL 1e-3, checking every big stream's
   decoding within the bound and fingerprinting it on the device;
3. if cuSZp's sources are in .cuszp/ (or --cuszp DIR), times cuSZp's kernels the same way (plain
   and outlier) and checks that every SZp variant's big streams have cuSZp's fingerprint
   (byte identity), and measures the device copy bandwidth for the roofline;
4. prints the table of every variant and, per kernel, mode, size and direction, the best variant
   that passed every check, and writes $OUT/sweep.json, $OUT/sweep.log and $OUT/ptxas.txt
   (OUT defaults to /tmp/szagents-sweep).
A variant that fails a check is reported and left out of the "best" table. Variants run in the
order of VARIANTS (the defaults first); once --budget seconds have passed the rest are skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import cuszp_compare as cc  # noqa: E402  (fields, bound check, GB/s, the cuSZp shim)
import gpu_kernels as gk  # noqa: E402

REPO = BENCH.parent
SIZES = ("climate", "grf256m", "grf2g")
FLUSH_BYTES = 128 << 20  # written before every timed call (2x the L2)


# ---- Variants -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepVariant:
    """One build: kernel (szp|szx), mode (plain|outlier|ra) and tuning defines."""

    kernel: str
    mode: str
    tag: str
    defines: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        return f"{self.kernel}-{self.mode}-{self.tag}"

    @property
    def base(self) -> gk.Variant:
        return gk.Variant(self.kernel, "reference", self.mode)

    @property
    def flags(self) -> list[str]:
        return self.base.defines + [f"-D{k}={v}" for k, v in self.defines]


def _szp(tag: str, **defines: int) -> list[SweepVariant]:
    d = tuple((k, str(v)) for k, v in defines.items())
    return [SweepVariant("szp", mode, tag, d) for mode in ("plain", "outlier")]


# The defaults first (what the sources build with no define), then one knob at a time.
VARIANTS: list[SweepVariant] = [
    *_szp("default"),
    SweepVariant("szx", "ra", "default"),
    *_szp("lookback", SZP_DEC_OFFSETS=0),       # decoder look-back instead of the offsets kernel
    *_szp("c4", SZP_MIN_CTAS=4),                # compressor: 64 registers, 4 CTAs/SM
    *_szp("c6", SZP_MIN_CTAS=6),                # compressor: 40 registers, 6 CTAs/SM
    *_szp("d4", SZP_DEC_MIN_CTAS=4),            # decoder: 64 registers
    *_szp("d8", SZP_DEC_MIN_CTAS=8),            # decoder: 32 registers, full occupancy
    *_szp("w4", SZP_WARPS=4, SZP_MIN_CTAS=10, SZP_DEC_MIN_CTAS=12),  # 128-thread CTAs, same occupancy
    *_szp("b8", SZP_BLOCKS_PER_WARP=8),         # half the values per warp, twice the tiles
    *_szp("b32", SZP_BLOCKS_PER_WARP=32, SZP_MIN_CTAS=3, SZP_DEC_MIN_CTAS=4),  # twice the values per warp
    SweepVariant("szx", "ra", "w4", (("SZX_WARPS", "4"),)),       # 8 blocks per warp
    SweepVariant("szx", "ra", "w16", (("SZX_WARPS", "16"),)),     # 2 blocks per warp
    SweepVariant("szx", "ra", "c2", (("SZX_MIN_CTAS", "2"),)),    # write kernel: 128 registers
    SweepVariant("szx", "ra", "c4", (("SZX_MIN_CTAS", "4"),)),    # write kernel: 64 registers
    SweepVariant("szx", "ra", "d4", (("SZX_DEC_MIN_CTAS", "4"),)),
    SweepVariant("szx", "ra", "d8", (("SZX_DEC_MIN_CTAS", "8"),)),
]


# ---- Build ----------------------------------------------------------------------------------------
def build_one(v: SweepVariant, out_dir: Path, arch: str, timeout: float) -> dict:
    """nvcc one variant; returns {lib, ptxas, error}."""
    src = gk.KERNELS / v.kernel / "reference.cu"
    lib = out_dir / f"lib{v.name}.so"
    flags = [f if not f.startswith("-arch=") else f"-arch={arch}" for f in gk.NVCC_FLAGS]
    cmd = ["nvcc", *flags, *v.flags, "-Xptxas", "-v", str(src), "-o", str(lib)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"lib": None, "ptxas": "", "error": f"nvcc timed out after {timeout:.0f} s"}
    if proc.returncode:
        return {"lib": None, "ptxas": "", "error": f"{' '.join(cmd)}\n{proc.stderr[-3000:]}"}
    return {"lib": str(lib), "ptxas": gk.ptxas_summary(proc.stderr), "error": None}


def build_all(variants: list[SweepVariant], out_dir: Path, arch: str, timeout: float) -> dict[str, dict]:
    out_dir.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(min(len(variants), os.cpu_count() or 4)) as pool:
        results = pool.map(lambda v: build_one(v, out_dir, arch, timeout), variants)
        return {v.name: r for v, r in zip(variants, results)}


# ---- Worker: one variant (or cuSZp) in its own process -------------------------------------------
def rel_eb(x) -> float:
    return float(np.float32(1e-3 * float(x.max() - x.min())))


def fingerprint(buf, nbytes: int) -> str:
    """A position-dependent 64-bit sum of the stream's bytes, computed on the device, and its size."""
    import cupy as cp

    words = nbytes // 4
    w = buf[:4 * words].view(cp.uint32).astype(cp.uint64)
    idx = cp.arange(words, dtype=cp.uint64)
    h = int(((w + cp.uint64(1)) * (idx * cp.uint64(2654435761) + cp.uint64(0x9E3779B97F4A7C15))).sum())
    tail = cp.asnumpy(buf[4 * words:nbytes]).tobytes()
    return f"{nbytes}:{h & (2**64 - 1):016x}:{tail.hex()}"


def timing_cells(fn, stream, flush, reps: int, runs: int) -> dict:
    t = gk.time_call(fn, stream, flush, reps, runs)
    return {"median_ms": t.median_ms(), "run_ms": t.run_medians_ms()}


def worker_variant(spec: dict, args) -> dict:
    """Checks and timings of one built variant."""
    import cupy as cp

    v = SweepVariant(spec["kernel"], spec["mode"], spec["tag"], tuple(map(tuple, spec["defines"])))
    codec = gk.GpuCodec(Path(spec["lib"]), v.base)
    stream = cp.cuda.Stream(non_blocking=True)
    result: dict = {"variant": v.name, "checks": [], "sizes": {}}
    with stream:
        failures = 0
        for line in gk.check_vectors(codec, gk.vector_cases(), stream):
            result["checks"].append(line)
            failures += line.startswith("FAIL")
        if not gk.vector_cases():
            result["checks"].append("FAIL vectors not found (set SZAGENTS_VECTORS)")
            failures += 1
        rng = np.random.default_rng(3)
        for dtype in (np.float32, np.float64) if v.base.has_f64 else (np.float32,):
            for n in (1, 31, 33, 4097, 100003, 1 << 20):
                x = (np.cumsum(rng.standard_normal(n)) * 0.1 + rng.standard_normal(n) * 0.01).astype(dtype)
                ok, detail, cr = gk.roundtrip(codec, x, 1e-3, stream)
                failures += not ok
                result["checks"].append(f"{'PASS' if ok else 'FAIL'} {v.name} {np.dtype(dtype).name} "
                                        f"n={n}: {detail}, CR {cr:.2f}")
        flush = cp.empty(FLUSH_BYTES, cp.uint8)
        for name, x in cc.make_fields(args.sizes).items():
            eb = rel_eb(x)
            out = cp.empty(codec.capacity(x.size), cp.uint8)
            status, nbytes = codec.compress(x, eb, out, stream)
            stream.synchronize()
            if status:
                result["sizes"][name] = {"error": f"compress status {gk.STATUS.get(status, status)}"}
                failures += 1
                continue
            data = out[:nbytes].copy()
            y = cp.full(x.size, cp.nan, x.dtype)
            status = codec.decompress(data, nbytes, x.size, eb, y, stream)
            stream.synchronize()
            ok = status == 0 and cc.bound_ok(x, y, eb)
            failures += not ok
            cell = {"input_bytes": x.nbytes, "compressed_bytes": nbytes, "eb": eb, "bound_ok": ok,
                    "fingerprint": fingerprint(data, nbytes)}
            cell["compress"] = timing_cells(lambda: codec.compress(x, eb, out, stream), stream, flush,
                                            args.reps, args.runs)
            cell["decompress"] = timing_cells(lambda: codec.decompress(data, nbytes, x.size, eb, y, stream),
                                              stream, flush, args.reps, args.runs)
            result["sizes"][name] = cell
            del out, data, y
            cp.get_default_memory_pool().free_all_blocks()
        result["failures"] = failures
    return result


def worker_cuszp(spec: dict, args) -> dict:
    """cuSZp's kernels (plain and outlier) timed as the variants, and the device copy bandwidth."""
    import cupy as cp

    cz = cc.CuSZp(Path(spec["lib"]))
    stream = cp.cuda.Stream(non_blocking=False)  # as cuszp_compare: cuSZp's size read is on stream 0
    result: dict = {"variant": "cuszp", "sizes": {}}
    with stream:
        result["copy_gbps"] = gk.copy_bandwidth_gbps(stream)
        flush = cp.empty(FLUSH_BYTES, cp.uint8)
        for name, x in cc.make_fields(args.sizes).items():
            eb = rel_eb(x)
            scratch = cp.empty(cz.scratch_bytes(x.size), cp.uint8)
            cap = (x.size + 32767) // 32768 * 1024 + (x.size + 31) // 32 * 136
            out = cp.zeros(cap, cp.uint8)
            y = cp.zeros(x.size, cp.float32)
            for mode in ("plain", "outlier"):
                nbytes = cz.compress("kernel", mode, x, out, eb, stream, scratch)
                data = out[:nbytes].copy()
                y.fill(0)  # cuSZp never writes rate-0 blocks
                cz.decompress("kernel", mode, data, nbytes, y, eb, stream, scratch)
                stream.synchronize()
                cell = {"input_bytes": x.nbytes, "compressed_bytes": nbytes, "eb": eb,
                        "bound_ok": cc.bound_ok(x, y, eb), "fingerprint": fingerprint(data, nbytes)}
                cell["compress"] = timing_cells(lambda: cz.compress("kernel", mode, x, out, eb, stream, scratch),
                                                stream, flush, args.reps, args.runs)
                cell["decompress"] = timing_cells(
                    lambda: cz.decompress("kernel", mode, data, nbytes, y, eb, stream, scratch),
                    stream, flush, args.reps, args.runs)
                result["sizes"][f"{name}/{mode}"] = cell
                del data
            del out, y, scratch
            cp.get_default_memory_pool().free_all_blocks()
    return result


def worker_main(args) -> int:
    spec = json.loads(args.worker)
    try:
        result = worker_cuszp(spec, args) if spec.get("cuszp") else worker_variant(spec, args)
    except Exception as exc:  # reported by the parent as this variant's failure
        result = {"variant": spec.get("name", "?"), "error": f"{type(exc).__name__}: {exc}"}
    print("SWEEP-RESULT " + json.dumps(result), flush=True)
    return 0


# ---- Parent ---------------------------------------------------------------------------------------
class Log:
    def __init__(self, path: Path):
        self.f = path.open("w")

    def __call__(self, text: str = "") -> None:
        print(text, flush=True)
        self.f.write(text + "\n")
        self.f.flush()


def run_worker(spec: dict, args, timeout: float, log: Log) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(spec),
           "--sizes", ",".join(args.sizes), "--reps", str(args.reps), "--runs", str(args.runs)]
    t0 = time.time()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=os.environ.copy())
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        log(out[-2000:])
        return {"variant": spec["name"], "error": f"timed out after {timeout:.0f} s (hang?)"}
    for line in proc.stdout.splitlines():
        if line.startswith("SWEEP-RESULT "):
            result = json.loads(line[len("SWEEP-RESULT "):])
            result["wall_s"] = time.time() - t0
            return result
    log(proc.stdout[-2000:] + proc.stderr[-4000:])
    return {"variant": spec["name"], "error": f"worker exited {proc.returncode} without a result (crash?)"}


def variant_ok(r: dict) -> bool:
    return "error" not in r and r.get("failures", 1) == 0 and all(
        "error" not in c and c["bound_ok"] and c.get("same_as_cuszp", True) for c in r["sizes"].values())


def summarize(results: dict[str, dict], variants: list[SweepVariant], sizes: list[str], log: Log) -> dict:
    cz = results.get("cuszp", {})
    copy = cz.get("copy_gbps")
    head = f"{'variant':<22}{'ok':>4}" + "".join(f"{s + ' c':>13}{s + ' d':>13}" for s in sizes)
    log("\n== every variant: GB/s (input bytes / median), compress / decompress")
    log(head + "\n" + "-" * len(head))
    for name, r in results.items():
        if "error" in r:
            log(f"{name:<22} ERROR {r['error']}")
            continue
        row = f"{name:<22}{'yes' if (name == 'cuszp' or variant_ok(r)) else 'NO':>4}"
        for s in sizes:
            for d in ("compress", "decompress"):
                if name == "cuszp":
                    cells = [r["sizes"].get(f"{s}/{m}") for m in ("plain", "outlier")]
                    txt = "/".join(f"{cc.gbps(c['input_bytes'], c[d]['median_ms']):.0f}" for c in cells if c)
                else:
                    c = r["sizes"].get(s, {})
                    txt = f"{cc.gbps(c['input_bytes'], c[d]['median_ms']):.0f}" if d in c else "-"
                row += f"{txt:>13}"
        log(row)
    best: dict = {}
    log(f"\n== best passing variant per kernel, size and direction (cuSZp kernel alongside; "
        f"roofline = copy {copy and round(copy)} GB/s / (1 + 1/CR))")
    head = (f"{'kernel/mode':<14}{'size':<9}{'dir':<5}{'best':<24}{'GB/s':>8}{'runs':>12}{'default':>9}"
            f"{'cuSZp':>8}{'x cuSZp':>9}{'%roof':>7}")
    log(head + "\n" + "-" * len(head))
    for kernel, mode in (("szp", "plain"), ("szp", "outlier"), ("szx", "ra")):
        names = [v.name for v in variants if (v.kernel, v.mode) == (kernel, mode)]
        passing = [n for n in names if n in results and variant_ok(results[n])]
        for s in sizes:
            for d in ("compress", "decompress"):
                cand = [(results[n]["sizes"][s][d]["median_ms"], n) for n in passing if s in results[n]["sizes"]]
                if not cand:
                    log(f"{kernel + '/' + mode:<14}{s:<9}{d[:4]:<5}no passing variant")
                    continue
                ms, n = min(cand)
                c = results[n]["sizes"][s]
                g = cc.gbps(c["input_bytes"], ms)
                runs = [cc.gbps(c["input_bytes"], t) for t in c[d]["run_ms"]]
                dflt = results.get(f"{kernel}-{mode}-default", {}).get("sizes", {}).get(s)
                dg = cc.gbps(dflt["input_bytes"], dflt[d]["median_ms"]) if dflt and d in dflt else float("nan")
                czc = cz.get("sizes", {}).get(f"{s}/{mode}") if kernel == "szp" else None
                cg = cc.gbps(czc["input_bytes"], czc[d]["median_ms"]) if czc else float("nan")
                roof = 100 * g / (copy / (1 + c["compressed_bytes"] / c["input_bytes"])) if copy else float("nan")
                log(f"{kernel + '/' + mode:<14}{s:<9}{d[:4]:<5}{n:<24}{g:>8.0f}{f'{min(runs):.0f}-{max(runs):.0f}':>12}"
                    f"{dg:>9.0f}{cg:>8.0f}{g / cg:>9.2f}{roof:>7.0f}")
                best[f"{kernel}/{mode}/{s}/{d}"] = {"variant": n, "gbps": g, "run_gbps": runs, "default_gbps": dg,
                                                    "cuszp_gbps": cg, "roofline_pct": roof}
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="", help="comma-separated substrings of variant names")
    ap.add_argument("--sizes", default=",".join(SIZES), help=f"subset of {','.join(SIZES)}")
    ap.add_argument("--reps", type=int, default=10, help="timed calls per run")
    ap.add_argument("--runs", type=int, default=3, help="runs; the median over all calls is reported")
    ap.add_argument("--budget", type=float, default=230, help="seconds; later variants are skipped")
    ap.add_argument("--timeout", type=float, default=90, help="seconds per variant process")
    ap.add_argument("--cuszp", type=Path, default=REPO / ".cuszp", help="cuSZp sources (optional)")
    ap.add_argument("--arch", default="", help="nvcc -arch (default: the device's, else sm_90)")
    ap.add_argument("--build-only", action="store_true", help="build every variant and stop (no GPU needed)")
    ap.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "/tmp/szagents-sweep")))
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.sizes = [s for s in args.sizes.split(",") if s]
    if any(s not in SIZES for s in args.sizes):
        ap.error(f"--sizes: choose from {', '.join(SIZES)}")
    if args.worker:
        return worker_main(args)

    t0 = time.time()
    args.out.mkdir(parents=True, exist_ok=True)
    log = Log(args.out / "sweep.log")
    arch = args.arch
    if not arch:
        try:
            cap = subprocess.run(["nvidia-smi", "--query-gpu=compute_cap", "--format=csv,noheader"],
                                 capture_output=True, text=True, timeout=30).stdout.split()
            arch = f"sm_{cap[0].replace('.', '')}" if cap else "sm_90"
        except (OSError, subprocess.TimeoutExpired):
            arch = "sm_90"
    variants = [v for v in VARIANTS if not args.only or any(s in v.name for s in args.only.split(","))]
    build_dir = REPO / "build" / "sweep"
    log(f"== building {len(variants)} variants for {arch} in {build_dir}")
    built = build_all(variants, build_dir, arch, timeout=180)
    ptxas = []
    for v in variants:
        b = built[v.name]
        ptxas.append(f"{v.name} {' '.join(v.flags)}\n{b['ptxas'] if not b['error'] else 'BUILD FAILED: ' + b['error']}")
    (args.out / "ptxas.txt").write_text("\n".join(ptxas) + "\n")
    log("\n".join(ptxas))
    cuszp_lib = None
    if (args.cuszp / "src" / "cuSZp_kernels_1D_f32.cu").is_file():
        try:
            cuszp_lib = cc.build_shim(args.cuszp.resolve(), arch, build_dir)
            log(f"built cuSZp from {args.cuszp}")
        except (RuntimeError, OSError) as exc:
            log(f"cuSZp build failed, compared without it: {exc}")
    else:
        log(f"cuSZp sources not in {args.cuszp}: no cuSZp columns, no byte check against cuSZp")
    log(f"builds done in {time.time() - t0:.0f} s")
    if args.build_only:
        return 1 if any(b["error"] for b in built.values()) else 0

    results: dict[str, dict] = {}
    if cuszp_lib:
        results["cuszp"] = run_worker({"name": "cuszp", "cuszp": True, "lib": str(cuszp_lib)}, args,
                                      args.timeout, log)
        log(f"cuszp: {json.dumps(results['cuszp'])[:2000]}")
    for v in variants:
        b = built[v.name]
        if b["error"]:
            results[v.name] = {"variant": v.name, "error": "build failed"}
            continue
        if time.time() - t0 > args.budget:
            results[v.name] = {"variant": v.name, "error": f"skipped: past the {args.budget:.0f} s budget"}
            continue
        spec = {"name": v.name, "kernel": v.kernel, "mode": v.mode, "tag": v.tag,
                "defines": [list(d) for d in v.defines], "lib": b["lib"]}
        r = run_worker(spec, args, args.timeout, log)
        cz = results.get("cuszp", {}).get("sizes", {})
        for s, c in r.get("sizes", {}).items():  # byte identity with cuSZp, by fingerprint
            ref = cz.get(f"{s}/{v.mode}") if v.kernel == "szp" else None
            if ref and "fingerprint" in c:
                c["same_as_cuszp"] = c["fingerprint"] == ref["fingerprint"]
        results[v.name] = r
        fails = [line for line in r.get("checks", []) if line.startswith("FAIL")]
        log(f"{v.name}: {'ERROR ' + r['error'] if 'error' in r else ('ok' if variant_ok(r) else 'FAILED')} "
            f"({r.get('wall_s', 0):.0f} s)" + "".join(f"\n   {f}" for f in fails[:5]))
        for s, c in r.get("sizes", {}).items():
            if "error" in c or not c["bound_ok"] or not c.get("same_as_cuszp", True):
                log(f"   {s}: {json.dumps({k: c.get(k) for k in ('error', 'bound_ok', 'same_as_cuszp')})}")
    best = summarize(results, variants, args.sizes, log)
    (args.out / "sweep.json").write_text(json.dumps(
        {"arch": arch, "sizes": args.sizes, "reps": args.reps, "runs": args.runs,
         "variants": [asdict(v) | {"name": v.name, "flags": v.flags} for v in variants],
         "builds": built, "results": results, "best": best, "wall_s": time.time() - t0}, indent=1))
    log(f"\nwrote {args.out}/sweep.json, sweep.log, ptxas.txt in {time.time() - t0:.0f} s")
    bad = [n for n in ("szp-plain-default", "szp-outlier-default", "szx-ra-default")
           if n in results and not variant_ok(results[n])]
    if bad:
        log(f"DEFAULT BUILDS FAILED A CHECK: {', '.join(bad)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
