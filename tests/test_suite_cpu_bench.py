"""bench/suite_cpu.py reads acct_v3 records as the kernel writes them (linux/acct.h) and sums them by program."""

from __future__ import annotations

from tests.bench_scripts import load_bench

suite_cpu = load_bench("suite_cpu")


def _record(pid, ppid, comm, utime, stime=0, flag=0):
    return suite_cpu.RECORD.pack(flag, 3, 0, 0, 0, 0, pid, ppid, 0, 0.0, utime, stime, comm.encode())


def test_the_record_is_acct_v3s_64_bytes_and_comp_t_decodes():
    """64 bytes a record; comp_t: values below 2^13 as they are, else a base-8 exponent in the top 3 bits."""
    assert suite_cpu.RECORD.size == 64
    assert suite_cpu._comp(100) == 100 and suite_cpu._comp((1 << 13) | 5) == 40 and suite_cpu._comp((2 << 13) | 3) == 192


def test_python_children_of_bwrap_are_counted_as_sandboxed(tmp_path):
    path = tmp_path / "pacct"
    path.write_bytes(_record(10, 1, "bwrap", 1) + _record(11, 10, "python", 20, 5) + _record(12, 1, "python", 1500)
                     + _record(13, 1, "cc1", 30) + _record(14, 1, "bash", 0, flag=1))
    rows = suite_cpu.records(path)
    assert [r["comm"] for r in rows] == ["bwrap", "python", "python", "cc1", "bash"] and rows[4]["forked"]
    text = suite_cpu.summary(rows)
    assert "5 processes, 15.6 CPU-s in all" in text
    assert "python under bwrap (sandboxed children): 1, 0.2 CPU-s" in text
    assert "python processes of 10-inf CPU-s each: 1, 15.0 CPU-s" in text and "bash (fork)" in text
