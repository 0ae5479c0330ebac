#!/usr/bin/env cs_python
"""szagents host harness for CSL SZ kernels; runs under the Cerebras SDK's cs_python.

    cs_python run.py --name out --request request.json --result result.json [--cmaddr IP:PORT]

Reads the request the cerebras backend staged beside this file, copies every case to the PE
rectangle in rounds of width*height*chunk values, launches the program's exported `compress` and
`decompress` on every PE, checks what comes back with the rules every szagents backend applies,
and writes one JSON result file. Progress goes to stdout as JSON lines, so a stall can be located.
The conventions the CSL program follows are in README.md beside this file.
"""

import argparse
import json
import os
import sys
import traceback
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import sz_checks as checks  # noqa: E402 - szagents/backends/child/checks.py, staged beside this file
from wafer import Case, Device, DeviceError, Failure, compress_all, decompress_all, progress  # noqa: E402

FORMAT_VERSION = 1


def judge(case, streams, decoded):
    """Format, unwritten outputs and the error bound, with the other backends' rules."""
    if case.expected is not None:
        offsets, ref = case.expected["offsets"], case.expected["streams"]
        for k, got in enumerate(streams):
            if got != ref[offsets[k]:offsets[k + 1]].tobytes():
                raise Failure("wrong_output", f"the stream of chunk {k} ({case.where(k % case.pes, k // case.pes)}) "
                              "differs from the reference format")
    unwritten, first = checks.unwritten_count(np, decoded, case.data)
    if unwritten:
        k = first // case.chunk
        raise Failure("unwritten_output", f"{unwritten} of {case.data.size} output values were never written "
                      f"(first at index {first}, {case.where(k % case.pes, k // case.pes)})")
    report = checks.bound_report(np, case.data, decoded, case.eb)
    if report["violations"]:
        v = report["first"]
        raise Failure("bound_violation", f"{v['count']} of {case.data.size} values exceed eb={case.eb:g}; first at "
                      f"index {v['index']}: x={v['value']!r}, x'={v['reconstructed']!r}, "
                      f"|x-x'|/eb={v['error_over_eb']:.4g}", v)
    return report


def _passes(dev, case, streams, placed, **variant):
    """True when decompressing `placed` under variant (see decompress_all) gives outputs that pass."""
    try:
        decoded, _ = decompress_all(dev, case, placed, **variant)
        judge(case, streams, decoded)
    except Failure:
        return False
    return True


def diagnose(dev, case, streams, buffers, failure):
    """Re-run decompression with what a cheat relies on restored, to name the cause; else re-raise."""
    if failure.verdict not in ("unwritten_output", "bound_violation", "error_status"):
        raise failure
    progress(f"{case.name}: diagnosis")
    if _passes(dev, case, streams, streams, restore_input=True):
        raise Failure("cheat_detected", "decompress reads the original input in 'values' instead of the stream")
    if _passes(dev, case, streams, buffers, sizes=[len(s) for s in streams]):
        raise Failure("size_error", "the byte counts compress reports in info[2] under-report the streams: "
                      "decoding needs bytes past them")
    raise failure


def require_time(cycles, op):
    """cycles when positive; zero, invalid or missing timestamps are a zero_exec_time failure."""
    if cycles is None:
        raise Failure("zero_exec_time", f"no execution time: the program exports no 'tsc' timestamps ({op})")
    if cycles <= 0:
        raise Failure("zero_exec_time", f"{op} reported {'invalid' if cycles < 0 else 'zero'} execution time: tsc "
                      "must hold the <time> timestamps taken at the start and end of every launch")
    return cycles


def validate_case(dev, case, req):
    """Compress and decompress every round, then judge values first and execution time second."""
    streams, buffers, comp = compress_all(dev, case)
    try:
        decoded, decomp = decompress_all(dev, case, streams)
        report = judge(case, streams, decoded)
    except Failure as failure:
        diagnose(dev, case, streams, buffers, failure)
    comp, decomp = require_time(comp, "compress"), require_time(decomp, "decompress")
    nbytes, us = sum(4 + len(s) for s in streams), 1e6 / req["clock_hz"]  # a size word + stream per chunk
    return {"compressed_bytes": nbytes, "ratio": case.data.nbytes / nbytes, "max_abs_error": report["max_abs_error"],
            "max_error_over_eb": report["max_error_over_eb"],
            "detail": f"device time: compress {comp} cycles ({comp * us:.1f} us), decompress {decomp} cycles "
                      f"({decomp * us:.1f} us) at {req['clock_hz'] / 1e6:g} MHz"}


def _timing(seconds):
    q1, median, q3 = np.percentile(seconds, [25, 50, 75])
    return {"median_seconds": float(median), "min_seconds": float(min(seconds)), "max_seconds": float(max(seconds)),
            "iqr_seconds": float(q3 - q1), "repetitions": len(seconds)}


def benchmark_case(dev, case, req):
    """Repeat compress + decompress; device seconds = cycles / clock; ratio and quality of the last."""
    comp, decomp = [], []
    for rep in range(int(req.get("repetitions", 1))):
        progress(f"{case.name}: repetition {rep + 1}")
        streams, _, c = compress_all(dev, case)
        decoded, d = decompress_all(dev, case, streams)
        comp.append(require_time(c, "compress"))
        decomp.append(require_time(d, "decompress"))
    report = checks.bound_report(np, case.data, decoded, case.eb)
    psnr, nrmse = checks.quality(np, case.data, decoded)
    nbytes, hz, size = sum(4 + len(s) for s in streams), req["clock_hz"], case.data.nbytes
    ct, dt = _timing([c / hz for c in comp]), _timing([d / hz for d in decomp])
    return {"input_bytes": int(size), "compressed_bytes": nbytes, "ratio": size / nbytes, "compress": ct,
            "decompress": dt, "compress_gbps": size / ct["median_seconds"] / 1e9,
            "decompress_gbps": size / dt["median_seconds"] / 1e9, "psnr_db": psnr, "nrmse": nrmse,
            "max_error_over_eb": report["max_error_over_eb"], "violations": report["violations"],
            "compress_cycles": int(np.median(comp)), "decompress_cycles": int(np.median(decomp)), "clock_hz": hz}


def probe(dev, req):
    """One compress and one decompress launch over zeros, nothing judged: cycles and status words.

    The first check on a new SDK: transfers, launches and timestamps work, whatever the program computes.
    """
    w, h, pes, chunk = req["width"], req["height"], req["width"] * req["height"], req["chunk"]
    active, found = np.ones(pes, bool), {"verdict": "ok"}
    dev.put("values", np.zeros((h, w, chunk), np.uint32))
    for op in ("compress", "decompress"):
        words = np.zeros((h, w, 4), np.uint32)
        words[..., 0], words[..., 1] = chunk, int(np.float32(1e-3).view(np.uint32))
        dev.put("info", words)
        dev.launch(op)
        found[f"{op}_cycles"], found[f"{op}_status"] = dev.cycles(active), dev.get("info", 4)[:, 3].tolist()
    return found


def run(args, req, folder):
    """Every case in order; the first failure ends the run."""
    dev = Device(args.name, args.cmaddr, req["width"], req["height"])
    benchmark, cases = req["op"] == "benchmark", []
    if req["op"] == "probe":
        try:
            return probe(dev, req)
        finally:
            dev.stop()
    try:
        for spec in req["cases"]:
            case = Case(spec, req, folder)
            row = {"dataset": case.name, "n": int(case.data.size), "dtype": "float32", "eb": case.eb}
            try:
                row.update(verdict="ok", **(benchmark_case if benchmark else validate_case)(dev, case, req))
            except Failure as failure:
                if not benchmark:
                    cases.append({**row, "verdict": failure.verdict, "detail": failure.detail,
                                  "violation": failure.violation})
                return {"verdict": failure.verdict, "detail": failure.detail, "cases": cases, "failed_case": case.name}
            cases.append(row)
    finally:
        dev.stop()
    return {"verdict": "ok", "cases": cases}


def main():
    """Parse the arguments, run the request, write the result file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True, help="cslc output folder")
    parser.add_argument("--cmaddr", help="IP:PORT of a CS system; absent: the simulator")
    parser.add_argument("--request", default="request.json")
    parser.add_argument("--result", default="result.json")
    args = parser.parse_args()
    request_path = Path(args.request).resolve()
    req = json.loads(request_path.read_text())
    try:
        result = run(args, req, request_path.parent)
    except DeviceError as exc:
        result = {"verdict": "runtime_error", "detail": str(exc)}
    except Exception:  # noqa: BLE001 - a fault of this harness or its environment, not the kernel
        result = {"internal_error": traceback.format_exc()}
    result.update(format_version=FORMAT_VERSION, op=req["op"], clock_hz=req["clock_hz"],
                  target="system " + args.cmaddr if args.cmaddr else "simulator")
    tmp = Path(args.result + ".tmp")
    tmp.write_text(json.dumps(result, default=float))
    os.replace(tmp, args.result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
