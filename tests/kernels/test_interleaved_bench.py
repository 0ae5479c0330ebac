"""bench/kernel_tails.interleaved, the call-by-call timing loop of kernel_tails, flush_modes and readback_jitter,
driven with a stand-in for CuPy's events (these scripts run on GPU machines only; the loop's bookkeeping does not)."""

from __future__ import annotations

import sys
import types

from tests.bench_scripts import load_bench


def fake_cupy(log: list):
    """Events whose elapsed time is the number of calls made between their records: the k-th call of the loop
    measures k (1-based), so a result says which call it came from."""
    calls = [0]

    class Event:
        def record(self, stream) -> None:
            log.append(("record", stream))
            self.at = calls[0]

        def synchronize(self) -> None:
            pass

    cuda = types.SimpleNamespace(Event=Event, get_elapsed_time=lambda start, end: float(end.at))
    return types.SimpleNamespace(cuda=cuda), calls


def test_every_way_is_called_in_a_rotating_order_and_the_warm_up_rounds_are_dropped(monkeypatch):
    log: list = []
    cp, calls = fake_cupy(log)
    monkeypatch.setitem(sys.modules, "cupy", cp)
    tails = load_bench("kernel_tails")

    def call(way: str) -> None:
        calls[0] += 1
        log.append(("call", way))

    times = tails.interleaved(["a", "b", "c"], lambda way: log.append(("flush", way)), call, "S", reps=4, warmup=2)

    order = [entry[1] for entry in log if entry[0] == "call"]
    assert order == ["a", "b", "c", "b", "c", "a", "c", "a", "b", "a", "b", "c", "b", "c", "a", "c", "a", "b"]
    # each call is flushed for its own way first, then enclosed by two records on the stream
    for i in range(0, len(log), 4):
        assert [e[0] for e in log[i:i + 4]] == ["flush", "record", "call", "record"]
        assert log[i][1] == log[i + 2][1] and log[i + 1][1] == log[i + 3][1] == "S"
    # rounds 0 and 1 (calls 1-6) are warm-up; the kept times are the calls' indices, per way
    assert times == {"a": [8.0, 10.0, 15.0, 17.0], "b": [9.0, 11.0, 13.0, 18.0], "c": [7.0, 12.0, 14.0, 16.0]}
