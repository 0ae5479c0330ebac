"""Does where the harness runs on the CPUs explain its slow handshakes? Harness runs under CPU sets.

bench/gpu_steadiness.py found the cuda harness's parent clock (go -> done, less the null handshake)
far above the child's own device figures in some processes and close to them in others (13 against
110 us over the same 256 MiB decompression). This runs the same harness benchmark (one kernel, one
dataset, `validate --bench`'s settings) several times in separate processes under each CPU set:

  all   the CPUs this process may use (as `validate --bench` runs today)
  near  those of the GPU's NUMA node (sysfs local_cpulist of its PCI device), where it has any
  far   the others, where there are any

and prints per run the claim, the parent's bound and handshake (us), the phases of a round trip, and
the reported GB/s, then per set the median and spread of the reported figures.

    python bench/gpu_placement.py [--kernel szp] [--variant plain] [--dataset climate] [--runs 3] [--sets all near far]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def cpu_list(text: str) -> set[int]:
    """'0-3,8,10-11' -> {0, 1, 2, 3, 8, 10, 11}."""
    cpus: set[int] = set()
    for part in text.strip().split(","):
        if part:
            low, _, high = part.partition("-")
            cpus.update(range(int(low), int(high or low) + 1))
    return cpus


def gpu_local_cpus() -> set[int]:
    """The CPUs of the first visible GPU's NUMA node, from sysfs (empty where unknown)."""
    try:
        bus = subprocess.run(["nvidia-smi", "--query-gpu=pci.bus_id", "--format=csv,noheader"], capture_output=True,
                             text=True, check=True).stdout.split()[0]
    except (OSError, subprocess.CalledProcessError, IndexError):
        return set()
    domain, rest = bus.lower().split(":", 1)
    path = Path(f"/sys/bus/pci/devices/{domain[-4:]}:{rest}/local_cpulist")
    return cpu_list(path.read_text()) if path.exists() else set()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernel", default="szp")
    parser.add_argument("--variant", default="plain")
    parser.add_argument("--dataset", default="climate")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sets", nargs="+", default=["all", "near", "far"])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    allowed = os.sched_getaffinity(0)
    near = gpu_local_cpus() & allowed
    sets = {"all": allowed, "near": near, "far": allowed - near}
    print(f"cpus allowed {sorted(allowed)}; the GPU's node {sorted(near) or 'unknown'}")
    rows = []
    for name in args.sets:
        cpus = sets[name]
        if not cpus or (name != "all" and cpus == allowed):
            print(f"{name}: no such CPUs here, skipped")
            continue
        figures = []
        for run in range(args.runs):
            done = subprocess.run(
                [sys.executable, str(HERE / "gpu_steadiness.py"), "--one", args.kernel, args.variant, args.dataset],
                capture_output=True, text=True, preexec_fn=lambda c=cpus: os.sched_setaffinity(0, c))
            lines = done.stdout.strip().splitlines()
            if done.returncode or not lines:
                print(f"{name} run {run}: failed: {done.stderr[-600:]}")
                continue
            r = json.loads(lines[-1])
            if "error" in r:
                print(f"{name} run {run}: {r['error']}")
                continue
            rows.append({"set": name, **r})
            figures.append((r["compress_gbps"], r["decompress_gbps"]))
            print(f"{name:>4} run {run}: {r['compress_gbps']:7.1f} / {r['decompress_gbps']:7.1f} GB/s "
                  f"sources {r['time_source']} claimed {r['claimed_us']} bound {r['bound_us']} "
                  f"handshake {r['handshake_us']}\n{'':>12}phases {r['phases_us']}")
        if figures:
            c, d = np.asarray(figures).T
            print(f"{name:>4}: compress median {np.median(c):.1f} ({c.min():.1f}-{c.max():.1f}), "
                  f"decompress median {np.median(d):.1f} ({d.min():.1f}-{d.max():.1f}) GB/s over {len(c)} runs")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
