"""Where does a timed GPU repetition's wall time go? The child's window, phase by phase, null call vs kernel.

The cuda harness reports a repetition no faster than the parent's wall clock (`go` -> `done`) less the
median null handshake. This script takes the harness's own parts (CudaDevice with its CUPTI trace, the
kernel library through the ABI) out of the sandbox and times, per repetition, each phase the child runs
between `go` and `done`: open the trace window, flush L2, record the start event, the call, record the end
event and synchronize the device, the device-wide synchronize, close the window. It does so for the null
call (what the allowance measures) and for SZp compress and decompress on a 25.9 MB field, each with
distinct buffers per repetition (as the harness does) and with one buffer. A second part runs the same
loop in a child process behind a socketpair, the parent spinning for `done`, so the whole round trip is
seen without the sandbox, then in the harness's sandbox (rlimits only, then bwrap). Medians and 90th percentiles in microseconds.

    python bench/gpu_window.py [--reps 200] [--no-cupti] [--json FILE]
"""

from __future__ import annotations

import argparse
import ctypes
import json
import multiprocessing as mp
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
PHASES = ("open", "flush", "call", "sync", "sync_all", "close")
N = 1800 * 3600  # the climate field's size (25.9 MB of float32)


def build(out: Path) -> Path:
    lib = out / "libszp.so"
    arch = "sm_" + subprocess.run(["nvidia-smi", "--query-gpu=compute_cap", "--format=csv,noheader"],
                                  capture_output=True, text=True, check=True).stdout.split()[0].replace(".", "")
    subprocess.run(["nvcc", "-O3", f"-arch={arch}", "-shared", "-Xcompiler", "-fPIC", "-I", str(REPO / "kernels/abi"),
                    str(REPO / "kernels/szp/reference.cu"), "-o", str(lib)], check=True)
    return lib


def field() -> np.ndarray:
    rng = np.random.default_rng(21)
    smooth = np.cumsum(rng.normal(size=(1800, 3600)), axis=1).astype(np.float32)
    return (smooth / np.abs(smooth).max()).ravel()


class Window:
    """The child's side of one repetition, phase by phase (the harness's CudaDevice and KernelLibrary)."""

    def __init__(self, lib_path: Path, cupti: bool) -> None:
        if not cupti:
            from szagents.backends.child import device_trace
            device_trace.DeviceTrace.start = classmethod(lambda cls: (None, "off by --no-cupti"))  # type: ignore
        from szagents.backends.child.cuda_device import CudaDevice
        from szagents.backends.child.device import KernelLibrary
        self.dev = CudaDevice()
        self.dev.prepare(np.dtype(np.float32))
        self.lib = KernelLibrary(ctypes.CDLL(str(lib_path)), np.dtype(np.float32))
        data = field()
        self.eb = 1e-3 * float(data.max() - data.min())
        self.capacity = data.nbytes + data.nbytes // 8 + (1 << 20)
        self.host = data
        src = self.dev.alloc(data.nbytes)
        self.dev.copy_in(src, data.view(np.uint8))
        dst = self.dev.alloc(self.capacity)
        assert self.lib.compress(self.dev.pointer(src), N, self.eb, self.dev.pointer(dst), self.capacity,
                                 self.dev.stream()) == 0
        self.dev.sync_all()
        self.stream_bytes = self.lib.out_bytes
        self.base = (src, dst)

    def buffers(self, mode: str, count: int, distinct: bool) -> list[tuple[object, object]]:
        if not distinct:
            return [self.base] * count
        import cupy as cp

        source, nbytes, out_bytes = ((self.base[1], self.stream_bytes, self.host.nbytes) if mode == "decompress"
                                     else (self.base[0], self.host.nbytes, self.capacity))
        self.dev.sync_all()
        out = []
        for _ in range(count):
            s, d = self.dev.alloc(nbytes), self.dev.alloc(out_bytes)
            cp.cuda.runtime.memcpy(s.data.ptr, source.data.ptr, nbytes, cp.cuda.runtime.memcpyDeviceToDevice)
            out.append((s, d))
        return out

    def call(self, mode: str, s: object, d: object) -> int:
        p, stream = self.dev.pointer, self.dev.stream()
        if mode == "null":
            return self.dev.null_call()
        if mode == "compress":
            return self.lib.compress(p(s), N, self.eb, p(d), self.capacity, stream)
        return self.lib.decompress(p(s), self.stream_bytes, N, self.eb, p(d), stream)

    def one(self, mode: str, s: object, d: object) -> tuple[list[float], float]:
        import cupy as cp
        t = [time.perf_counter()]
        self.dev.open_window()
        t.append(time.perf_counter())
        self.dev.flush_cache()
        t.append(time.perf_counter())
        start, end = cp.cuda.Event(), cp.cuda.Event()
        start.record(self.dev._abi_stream)
        status = self.call(mode, s, d)
        t.append(time.perf_counter())
        end.record(self.dev._abi_stream)
        cp.cuda.runtime.deviceSynchronize()
        t.append(time.perf_counter())
        self.dev.sync_all()
        t.append(time.perf_counter())
        self.dev.close_window(0)
        t.append(time.perf_counter())
        assert status == 0, status
        return [b - a for a, b in zip(t, t[1:])], cp.cuda.get_elapsed_time(start, end) / 1e3


def in_process(window: Window, reps: int) -> dict:
    rows = {}
    for mode in ("null", "decompress", "compress"):
        for distinct in (True, False):
            bufs = window.buffers(mode, reps, distinct)
            for s, d in bufs[:10]:
                window.one(mode, s, d)
            phases, events = [], []
            for s, d in bufs:
                p, e = window.one(mode, s, d)
                phases.append(p)
                events.append(e)
            a = np.asarray(phases) * 1e6
            rows[f"{mode}/{'distinct' if distinct else 'same'}"] = {
                "median_us": dict(zip(PHASES, np.round(np.median(a, axis=0), 1).tolist())),
                "p90_us": dict(zip(PHASES, np.round(np.percentile(a, 90, axis=0), 1).tolist())),
                "total_median_us": round(float(np.median(a.sum(axis=1))), 1),
                "event_median_us": round(float(np.median(events)) * 1e6, 1)}
            del bufs
    return rows


def _child(sock: socket.socket, lib: str, cupti: bool, reps: int) -> None:
    window = Window(Path(lib), cupti)
    _serve(sock, window, reps)


def _serve(sock: socket.socket, window: Window, reps: int) -> None:
    sock.sendall(b"r")
    for mode in ("null", "decompress", "compress"):
        bufs = window.buffers(mode, reps, True)
        for s, d in bufs:
            if sock.recv(1) != b"g":
                return
            window.one(mode, s, d)
            sock.sendall(b"d")


def round_trips(lib: Path, cupti: bool, reps: int, how: str = "process", gap_us: float = 0.0) -> dict:
    """how: "process" (a plain child), or the harness's own sandbox: "bwrap" or "rlimits-only"."""
    parent, child = socket.socketpair()
    if how == "process":
        proc = mp.get_context("spawn").Process(target=_child, args=(child, str(lib), cupti, reps))
        proc.start()
    else:
        from szagents.backends.cuda import CudaConfig
        from szagents.backends.sandbox import SandboxProcess, SandboxSpec
        from szagents.backends.sandbox.layout import runner_pythonpath
        command = [sys.executable, "-s", str(Path(__file__).resolve()), "--child", str(lib), "--reps", str(reps)]
        if not cupti:
            command.append("--no-cupti")
        env = {"PYTHONPATH": ":".join([*runner_pythonpath(), str(REPO)]), "CUPY_CACHE_DIR": "/tmp/cupy",
               "PYTHONDONTWRITEBYTECODE": "1"}
        proc = SandboxProcess(command, limits=CudaConfig().run_limits, isolation=how, cwd=Path("/tmp"), env=env,
                              spec=SandboxSpec(python=True, gpu=True, ro=(REPO / "bench", REPO / "kernels", lib.parent)),
                              fd_map={3: child.fileno()}).start()
    child.close()
    if parent.recv(1) != b"r":
        out = proc.finish(kill=True) if how != "process" else None
        return {"error": f"the child did not start: {out}"}
    parent.setblocking(False)
    rows = {}
    for mode in ("null", "decompress", "compress"):
        walls = []
        for _ in range(reps):
            resume = time.perf_counter() + gap_us * 1e-6
            while time.perf_counter() < resume:  # the parent's own work between repetitions
                pass
            t0 = time.perf_counter()
            parent.sendall(b"g")
            while True:
                try:
                    if parent.recv(1):
                        break
                except BlockingIOError:
                    pass
            walls.append(time.perf_counter() - t0)
        w = np.asarray(walls[10:]) * 1e6
        rows[mode] = {"median_us": round(float(np.median(w)), 1), "p10_us": round(float(np.percentile(w, 10)), 1),
                      "p90_us": round(float(np.percentile(w, 90)), 1)}
    if how == "process":
        proc.join(60)
    else:
        proc.finish(kill=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--no-cupti", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--gaps", default="", help="comma-separated pauses (us) between a done and the next go")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)  # the sandboxed side: library path
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    if args.child:
        _serve(socket.socket(fileno=3), Window(args.child, not args.no_cupti), args.reps)
        return 0
    with tempfile.TemporaryDirectory(dir=REPO, prefix=".gpu-window-") as work:
        Path(work).chmod(0o755)  # the sandbox runs the child as a private uid
        lib = build(Path(work))
        result = {"cupti": not args.no_cupti}
        for gap in [float(g) for g in args.gaps.split(",") if g]:
            result[f"round_trip_us (process child, {gap:g} us between repetitions)"] = round_trips(
                lib, not args.no_cupti, args.reps, "process", gap)
        for how in ("process", "rlimits-only", "bwrap"):
            result[f"round_trip_us ({how} child, parent spinning)"] = round_trips(lib, not args.no_cupti, args.reps, how)
        window = Window(lib, not args.no_cupti)
        result["in_process"] = in_process(window, args.reps)
    print(json.dumps(result, indent=1))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
