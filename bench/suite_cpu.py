"""Where the test suite's CPU goes: Linux process accounting (acct(2)) around a command, summed by program.

Needs root and a kernel with BSD process accounting (CONFIG_BSD_PROCESS_ACCT). Every process that exits while the
command runs writes one acct_v3 record (64 bytes: its command name, parent, user and system ticks); this sums them
by command name, and splits the Python processes by their CPU time and by their parent (under `bwrap`: the
sandboxed harness children). It switches accounting off when the command ends: do not use it on a host that keeps
its own process accounting.

    sudo .venv/bin/python bench/suite_cpu.py -- make test
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import struct
import subprocess
import tempfile
from pathlib import Path

RECORD = struct.Struct("<bBHIIIIIIfHH12x16s")  # acct_v3: flag, version, tty, exitcode, uid, gid, pid, ppid, btime,
# etime, utime, stime, (mem, io, rw, minflt, majflt, swaps), comm
HZ = 100  # AHZ: the unit of acct's times
BANDS = ((0, 0.2), (0.2, 0.4), (0.4, 1.5), (1.5, 10), (10, float("inf")))


def _comp(value: int) -> int:
    """acct's comp_t: a 13-bit mantissa and a 3-bit base-8 exponent."""
    return (value & 0x1FFF) << (3 * (value >> 13))


def records(path: Path) -> list[dict]:
    data = path.read_bytes()
    rows = []
    for offset in range(0, len(data) - RECORD.size + 1, RECORD.size):
        flag, _, _, _, _, _, pid, ppid, _, _, utime, stime, comm = RECORD.unpack_from(data, offset)
        rows.append({"pid": pid, "ppid": ppid, "forked": bool(flag & 1), "comm": comm.split(b"\0")[0].decode(),
                     "cpu": (_comp(utime) + _comp(stime)) / HZ})
    return rows


def summary(rows: list[dict], most: int = 15) -> str:
    by_name, count = collections.Counter(), collections.Counter()
    for r in rows:
        name = r["comm"] + (" (fork)" if r["forked"] else "")
        by_name[name] += r["cpu"]
        count[name] += 1
    lines = [f"{len(rows)} processes, {sum(by_name.values()):.1f} CPU-s in all"]
    lines += [f"{cpu:9.1f} CPU-s {count[name]:6d}  {name}" for name, cpu in by_name.most_common(most)]
    python = [r for r in rows if r["comm"].startswith("python")]
    for low, high in BANDS:
        band = [r["cpu"] for r in python if low <= r["cpu"] < high]
        lines.append(f"python processes of {low}-{high} CPU-s each: {len(band)}, {sum(band):.1f} CPU-s")
    comm = {r["pid"]: r["comm"] for r in rows}
    sandboxed = [r["cpu"] for r in python if comm.get(r["ppid"]) == "bwrap"]
    lines.append(f"python under bwrap (sandboxed children): {len(sandboxed)}, {sum(sandboxed):.1f} CPU-s")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="+", help="the command to account for (after --)")
    args = parser.parse_args()
    libc = ctypes.CDLL(None, use_errno=True)
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "pacct"
        log.touch()
        if libc.acct(str(log).encode()) != 0:
            raise SystemExit(f"acct() failed (errno {ctypes.get_errno()}): run as root on a kernel with process "
                             "accounting")
        try:
            code = subprocess.call(args.command)
        finally:
            libc.acct(None)
        print(summary(records(log)))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
