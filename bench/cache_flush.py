"""The cpu cache flush: what eviction costs per repetition, and whether it leaves the data as cold as a sweep.

For regions of several sizes (a repetition's input plus its output), interleaved over --repeats rounds:
  - the flush itself: CacheEviction.evict of the region (the harness's flush) against the baseline, a sweep of
    twice the largest cache (what the harness did before);
  - a read of the region (a sum over it) right after it was written and then: not flushed (warm), evicted,
    swept. Evicted reads should take as long as swept ones (both from memory) and longer than warm ones.
Prints medians in ms and the ratio against the sweep measured in the same run.

    python bench/cache_flush.py --repeats 15
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from szagents.backends.harness.eviction import CacheEviction, llc_bytes


def _timed(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--sizes-mib", type=float, nargs="+", default=[1.0, 8.0, 52.0])
    args = parser.parse_args()
    eviction, baseline = CacheEviction(), CacheEviction()
    print(f"largest cache {llc_bytes() / 2**20:.0f} MiB; sweep buffer {2 * llc_bytes() / 2**20:.0f} MiB")
    for mib in args.sizes_mib:
        region = np.zeros(int(mib * 2**20) // 8, dtype=np.uint64)
        times: dict[str, list[float]] = {k: [] for k in ("evict", "sweep", "read warm", "read evicted", "read swept")}
        for _ in range(args.repeats):
            for how in ("warm", "evicted", "swept"):
                region += 1  # written, as the parent stages a repetition: in the caches, dirty
                if how == "evicted":
                    times["evict"].append(_timed(lambda: eviction.evict(region)))
                elif how == "swept":
                    times["sweep"].append(_timed(baseline._sweep))
                times[f"read {how}"].append(_timed(lambda: region.sum()))
        med = {k: statistics.median(v) * 1e3 for k, v in times.items()}
        print(f"{mib:6.1f} MiB  flush: evict {med['evict']:8.3f} ms  sweep {med['sweep']:8.3f} ms  "
              f"(evict/sweep {med['evict'] / med['sweep']:.4f})   read: warm {med['read warm']:.3f} ms  "
              f"evicted {med['read evicted']:.3f} ms  swept {med['read swept']:.3f} ms  "
              f"(evicted/swept {med['read evicted'] / med['read swept']:.2f}, warm/swept "
              f"{med['read warm'] / med['read swept']:.2f})")
    print(f"eviction: {eviction.method}")


if __name__ == "__main__":
    main()
