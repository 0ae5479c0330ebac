"""The trusted floor on reported times, and the device trace's windows (no GPU needed: pure arithmetic)."""

from __future__ import annotations

import pytest

from szagents.backends.child.claims import Done
from szagents.backends.child.device_trace import EDGE_NS, END_BYTES, START_BYTES, summarize
from szagents.backends.harness.timing import (BATCH, EXCESS_CAP, PACKING, SLACK_FRACTION, Allowance,
                                            handshake_phases, repetition_times)

US = 1e-6
NULL = Allowance([20 * US] * 24)  # a steady 20 us handshake: no typical excess


def _done(claims):
    return [Done(r, c, 0, [0.0] * 4) for r, c in enumerate(claims)]


def _marked(marks):
    return Done(0, 0.0, 0, marks)


def test_a_rare_slow_handshake_raises_no_repetition():
    """Host noise on a few handshakes (a 2 ms pause in 3 of 40) leaves every honest claim as it was."""
    claims = [50 * US] * 40
    walls = [(20 + 50) * US] * 37 + [2000 * US] * 3
    reported, _, _, _, source = repetition_times(walls, _done(claims), NULL)
    assert reported == claims and source == "claimed"


def test_claims_under_the_parents_clock_are_raised_in_proportion():
    """Claims of a tenth of what the parent's clock allows are scaled up to the floor on the median,
    keeping their spread."""
    claims = [5 * US, 6 * US, 5 * US, 7 * US, 5 * US]
    walls = [(20 + 100) * US] * 5
    reported, _, bounds, floor, source = repetition_times(walls, _done(claims), NULL)
    assert source == "bound" and floor == pytest.approx((1 - SLACK_FRACTION) * 100 * US)
    assert sorted(reported)[2] == pytest.approx(floor)
    assert reported[3] / reported[0] == pytest.approx(7 / 5)


def test_the_floor_forgives_at_most_a_quarter_of_typical_excess():
    """A jittery handshake forgives its typical excess, never more than EXCESS_CAP of the median bound."""
    jittery = Allowance([900 * US] * 2 + [20 * US] * 12 + [220 * US] * 12)  # the first two warm the path
    assert (jittery.seconds, jittery.excess) == pytest.approx((120 * US, 100 * US))
    _, _, _, floor, _ = repetition_times([jittery.seconds + 100 * US] * 9, _done([0.0] * 9), jittery)
    assert floor == pytest.approx((1 - SLACK_FRACTION - EXCESS_CAP) * 100 * US)


def test_a_noisy_handshake_paid_by_every_repetition_leaves_honest_claims_standing():
    """Handshakes spread evenly over 20-120 us, the same spread around every 50 us call: the allowance is
    the typical handshake, so the median bound is the call and the honest claims are reported as they are
    (against the cheapest handshake, the bound's median would have been 100 us and raised them by 40 %)."""
    spread = [(20 + 100 * i / 23) * US for i in range(24)]
    allowance = Allowance(spread)
    walls = [h + 50 * US for h in spread[2:]]
    reported, claimed, bounds, floor, source = repetition_times(walls, _done([50 * US] * 22), allowance)
    assert source == "claimed" and reported == claimed
    assert sorted(bounds)[11] == pytest.approx(50 * US, rel=0.05) and floor < 50 * US


def test_work_packed_into_one_call_gains_at_most_the_packing_factor():
    """With packing (GPU), all the work done in the first call and none in the rest reports at least
    the mean / PACKING per repetition."""
    claims = [20 * 50 * US] + [1 * US] * 19
    reported, _, _, _, source = repetition_times([21 * US] + [21 * US] * 19, _done(claims), NULL, packing=PACKING)
    assert source == "mean"
    assert sorted(reported)[10] >= 50 * US / PACKING * 0.999


def test_trace_spans_replace_the_childs_figures():
    """Where the trace has one span per repetition, the spans are the claims."""
    reported, claimed, _, _, _ = repetition_times([28 * US] * 3, _done([1.0] * 3), NULL, spans=[9 * US] * 3)
    assert claimed == [9 * US] * 3 and reported == claimed


def _row(kind, start_us, end_us, stream=7, nbytes=0):
    return (kind, stream, 1, int(start_us * 1000), int(end_us * 1000), nbytes)


def test_spans_cover_every_stream_inside_a_window():
    """A repetition's span runs from its first device activity to its last, whatever the stream."""
    windows = [(0, 100_000, 0), (200_000, 300_000, 1)]
    rows = [_row("concurrent_kernel", 10, 40), _row("memcpy", 30, 70, stream=9), _row("memset", 210, 215)]
    summary = summarize(rows, windows, 2)
    assert summary["spans"] == pytest.approx([60 * US, 5 * US])
    assert summary["outside"]["count"] == 0


def test_a_span_runs_from_the_start_marker_to_the_end_marker_or_past_them():
    """The call starts where its start marker ended and ends no earlier than its end marker started (a compressor
    that waits for its size and returns later pays until it returned); work on any stream before or after the
    markers still counts from its own start to its own end, and a kernel's own marker-sized memsets only widen."""
    windows = [(0, 1_000_000, 0), (1_000_000, 2_000_000, 1), (2_000_000, 3_000_000, 2)]
    start, end = (lambda a, b, **kw: _row("memset", a, b, nbytes=START_BYTES, **kw),
                  lambda a, b, **kw: _row("memset", a, b, nbytes=END_BYTES, **kw))
    rows = [start(100, 101), _row("concurrent_kernel", 102, 140), _row("memcpy", 141, 142), end(150, 151),
            # repetition 1: work hidden on another stream began during the flush and outlasted the end marker
            _row("memcpy", 1050, 1400, stream=9), start(1100, 1101), _row("concurrent_kernel", 1102, 1110),
            end(1120, 1121),
            # repetition 2: the kernel's own marker-sized memsets, late start and early end, change nothing
            start(2100, 2101), _row("concurrent_kernel", 2102, 2130), start(2120, 2121), end(2125, 2126),
            end(2140, 2141)]
    assert summarize(rows, windows, 3)["spans"] == pytest.approx([49 * US, 350 * US, 39 * US])


def test_work_at_the_end_of_a_call_is_that_calls_when_the_next_window_opens_microseconds_later():
    """A batch's calls run back to back, their windows microseconds apart: the copy and the end marker that finish
    one call belong to it, not to the next call (whose span would then start before its flush and take it in)."""
    windows = [(0, 300_000, 0), (305_000, 600_000, 1)]
    rows = [_row("memset", 200, 201, nbytes=START_BYTES), _row("concurrent_kernel", 201, 280),
            _row("memcpy", 290, 291), _row("memset", 296, 297, nbytes=END_BYTES),
            _row("memset", 500, 501, nbytes=START_BYTES), _row("concurrent_kernel", 501, 580),
            _row("memset", 590, 591, nbytes=END_BYTES)]
    summary = summarize(rows, windows, 2)
    assert summary["spans"] == pytest.approx([95 * US, 89 * US])
    assert summary["outside"]["count"] == 0


def test_work_between_windows_or_left_running_is_outside():
    """Work that starts between two windows, or outlasts its window beyond the skew allowance, is off
    the clock; work within the allowance at an edge is not."""
    windows = [(0, 100_000, 0), (200_000, 300_000, 1), (400_000, 500_000, None)]
    edge_us = EDGE_NS / 1000
    rows = [_row("memcpy", 150, 160), _row("concurrent_kernel", 250, 300 + 2 * edge_us),
            _row("memcpy", 90, 100 + edge_us / 2), _row("memset", 410, 420)]
    summary = summarize(rows, windows, 2)
    outside = summary["outside"]
    assert outside["count"] == 2
    first, second = outside["examples"]
    assert first["repetition"] == 0 and first["after_window_s"] == pytest.approx(50 * US)
    assert second["repetition"] == 1 and second["after_window_s"] < 0  # left running past its window


def test_handshake_phases_split_each_round_trip_at_the_childs_marks():
    """wake, flush, call, settle and reply are the gaps between the parent's send, the child's four marks
    and the parent's receive; the median is taken per part."""
    sent = [100.0, 200.0, 300.0]
    walls = [100 * US, 120 * US, 100 * US]
    done = [_marked([s + 10 * US, s + 15 * US, s + 75 * US, s + 80 * US]) for s in sent]
    phases = handshake_phases(sent, walls, done)
    assert phases is not None
    assert phases["wake"] == pytest.approx(10, abs=0.1) and phases["flush"] == pytest.approx(5, abs=0.1)
    assert phases["call"] == pytest.approx(60, abs=0.1) and phases["settle"] == pytest.approx(5, abs=0.1)
    assert phases["reply"] == pytest.approx(20, abs=0.1)  # the 40 us reply of the second is not the median


@pytest.mark.parametrize("marks", [None, [1.0, 2.0], [1.0, 2.0, float("nan"), 3.0], ["a", 1.0, 2.0, 3.0], [True] * 4])
def test_handshake_phases_are_absent_without_four_numeric_marks(marks):
    """A child that gives no marks, too few, or non-numbers gets no phase table (it is a diagnosis only)."""
    assert handshake_phases([1.0], [1e-4], [_marked(marks)]) is None


def test_handshake_phases_refuse_lists_that_do_not_pair_up():
    """One send time per wall and per answer, or no table: a record kept twice would pair the wrong walls."""
    done = [_marked([1.0, 1.0, 1.0, 1.0])] * 2
    assert handshake_phases([0.9, 0.9, 1.9, 1.9], [1e-3, 1e-3], done) is None


def _batched(single_us, pace_us, batch=BATCH, jitter_us=0.0):
    """An allowance from 24 single null handshakes of single_us and 12 null batches of `batch` calls at
    pace_us each after the first (+- jitter_us on the batches)."""
    batches = [(single_us + (batch - 1) * pace_us + (jitter_us if i % 2 else -jitter_us)) * US for i in range(12)]
    return Allowance([single_us * US] * 24, batches, batch)


def test_a_call_in_a_batch_is_allowed_its_share_of_one_handshake_and_the_null_calls_pace():
    """(single median + (k - 1) x pace) / k for a batch of k; a lone call keeps the whole handshake, and
    without null batches every batch size does too."""
    allowance = _batched(100, 20, jitter_us=64)
    assert allowance.for_batch(1) is allowance
    assert allowance.for_batch(BATCH).seconds == pytest.approx((100 + (BATCH - 1) * 20) / BATCH * US)
    assert allowance.for_batch(10).seconds == pytest.approx((100 + 9 * 20) / 10 * US)
    assert allowance.for_batch(BATCH).excess == pytest.approx(64 / BATCH * US)  # the batches' excess, shared
    assert Allowance([100 * US] * 24).for_batch(BATCH).seconds == pytest.approx(100 * US)


def test_batches_take_a_short_call_off_the_parents_clock_but_never_below_it():
    """40 us calls whose handshakes each run 40 us over the null one (the parent waking late, say): alone, the
    parent's clock (80 us) overrules the honest claims; in batches of BATCH that excess is paid once per batch
    (40 / BATCH us a call), so they stand. Claims of 10 us are still raised to the floor on the batched bound."""
    allowance, k = _batched(100, 20), BATCH
    single = [(100 + 40 + 40) * US] * 64
    reported, _, _, _, source = repetition_times(single, _done([40 * US] * 64), allowance)
    assert source == "bound" and reported[0] == pytest.approx((1 - SLACK_FRACTION) * 80 * US)
    share = (100 + 40 + 40 + (k - 1) * (20 + 40)) / k * US  # a late handshake and a call, then each at the null pace
    batched, sizes = [share] * 64, [k] * 64
    reported, claimed, bounds, _, source = repetition_times(batched, _done([40 * US] * 64), allowance, batches=sizes)
    assert source == "claimed" and reported == claimed
    assert bounds[0] == pytest.approx((40 + 40 / k) * US)
    reported, _, _, floor, source = repetition_times(batched, _done([10 * US] * 64), allowance, batches=sizes)
    assert source == "bound" and reported[0] == pytest.approx(floor) and floor > 35 * US


def test_handshake_phases_of_a_batch_split_it_at_each_calls_marks():
    """A batch of three: one wake and one reply per batch, flush/call/settle per call, and `between` from one
    call's synchronize to the next call's start (its `done` being sent)."""
    start, done = 10.0, []
    t = start + 30 * US  # woken 30 us after `go`
    for _ in range(3):
        done.append(_marked([t, t + 5 * US, t + 45 * US, t + 50 * US]))
        t += 50 * US + 8 * US  # 8 us to send `done` and start the next call
    end = done[-1].marks[3] + 12 * US
    walls = [(end - start) / 3] * 3
    phases = handshake_phases([start] * 3, walls, done, [3, 3, 3])
    assert phases == pytest.approx({"wake": 30, "flush": 5, "call": 40, "settle": 5, "between": 8, "reply": 12},
                                   abs=0.2)
