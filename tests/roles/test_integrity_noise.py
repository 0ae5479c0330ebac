"""Noise-aware decisions: the interleaved comparison's test, and a demo whose final best no longer flips."""

from __future__ import annotations

import itertools
import math

import pytest

from szagents.backends.results import BenchmarkCase, BenchmarkResult, Timing, Verdict
from szagents.roles.noise import decide, mann_whitney_greater, spread
from szagents.roles.remeasure import interleaved
from szagents.tasks.integrity import Objective
from szagents.roles.team import Team
from szagents.sweep.config import RunConfig
from szagents.sweep.run import start_run
from szagents.trajectory import read_run

_MARGINS = dict(improvement=0.02, regression=0.10, alpha=0.05)


def test_mann_whitney_exact_p_matches_the_rank_count():
    """Complete separation of 3 vs 3 has p = 1/C(6,3); one overlap 2/20; identical samples p = 1."""
    assert mann_whitney_greater([4, 5, 6], [1, 2, 3]) == pytest.approx(1 / math.comb(6, 3))
    assert mann_whitney_greater([3.5, 5, 6], [1, 2, 4]) == pytest.approx(2 / 20)
    assert mann_whitney_greater([1, 1, 1], [1, 1, 1]) == 1.0
    assert mann_whitney_greater([1, 2, 3], [4, 5, 6]) == 1.0


def test_p_values_are_a_distribution_over_every_rank_split():
    """Over every way to split 6 distinct ranks 3/3, P(p <= 0.05) is exactly 0.05 (the test holds its level)."""
    splits = list(itertools.combinations(range(6), 3))
    ps = [mann_whitney_greater([float(i) for i in s], [float(i) for i in range(6) if i not in s]) for s in splits]
    assert sum(p <= 0.05 for p in ps) / len(ps) == pytest.approx(0.05)


def test_a_clear_speedup_is_better_and_a_noisy_one_is_not():
    """Separated rounds beyond the margin: better; overlapping rounds or a change under the margin: within noise."""
    clear = decide(4, 5, "compress_gbps", "better", [1.0, 1.05, 0.98], [1.5, 1.6, 1.45], **_MARGINS)
    assert clear.decision == "better" and clear.p_value == pytest.approx(0.05) and clear.change > 0.4
    noisy = decide(4, 5, "compress_gbps", "better", [1.0, 1.6, 0.9], [1.5, 1.1, 1.2], **_MARGINS)
    assert noisy.decision == "within_noise"
    tiny = decide(4, 5, "compress_gbps", "better", [1.0, 1.001, 1.002], [1.003, 1.004, 1.005], **_MARGINS)
    assert tiny.decision == "within_noise" and tiny.p_value == pytest.approx(0.05)


def test_a_regression_needs_separation_and_the_regression_margin():
    """Worse by 30 % in every round: worse; by 5 %: within noise (under the 10 % margin); a failed round: failed."""
    slow = decide(4, 6, "compress_gbps", "worse", [2.0, 2.1, 1.9], [1.4, 1.3, 1.45], **_MARGINS)
    assert slow.decision == "worse" and slow.candidate_cv == pytest.approx(spread([1.4, 1.3, 1.45]))
    small = decide(4, 6, "compress_gbps", "worse", [2.0, 2.01, 2.02], [1.9, 1.91, 1.92], **_MARGINS)
    assert small.decision == "within_noise"
    broken = decide(4, 6, "compress_gbps", "worse", [2.0, 2.0, 2.0], [1.0, math.nan, 1.0], **_MARGINS)
    assert broken.decision == "failed" and "failed" in broken.summary()


@pytest.mark.slow
def test_demo_final_best_is_stable_and_every_decision_was_remeasured(tmp_path):
    """Three demo runs end on the same best; every new best and rollback follows an interleaved comparison."""
    bests = []
    for index in range(3):
        config = RunConfig(task="szx-optimize-cpu", team=Team.single("scripted:demo"), tier="expert",
                           runs_dir=tmp_path, quick=True, run_id=f"demo{index}")
        outcome = start_run(config)
        bests.append(outcome.state["best"])
        events = read_run(outcome.run_dir)
        compared = {(e.baseline, e.candidate): e for e in events if e.event == "comparison"}
        for rollback in (e for e in events if e.event == "rollback"):
            assert compared[(rollback.to_revision, rollback.from_revision)].decision == "worse"
        new_bests = [e.number for e in events if e.event == "revision" and e.is_best and e.number > 1]
        assert all(any(c.candidate == n and c.decision == "better" for c in compared.values()) for n in new_bests)
        assert all(len(c.baseline_values) == len(c.candidate_values) in (3, 8) for c in compared.values())
    assert len(set(bests)) == 1, bests


def _result(gbps: float) -> BenchmarkResult:
    """An ok benchmark of one case at gbps both ways."""
    timing = Timing(median_seconds=1 / gbps, min_seconds=1 / gbps, max_seconds=1 / gbps, iqr_seconds=0.0,
                    repetitions=3, cv=0.0)
    case = BenchmarkCase(dataset="d", n=1, dtype="float32", eb=0.1, input_bytes=10**9, compressed_bytes=10**8,
                         ratio=10.0, compress=timing, decompress=timing, compress_gbps=gbps, decompress_gbps=gbps,
                         psnr_db=90.0, nrmse=0.0, max_error_over_eb=0.5)
    return BenchmarkResult(verdict=Verdict.ok, cases=[case])


def _drifting_machine():
    """A Measure for a machine that gets 5 % faster at every call, whatever the files (a drift no real box repeats)."""
    calls = []

    def measure(files):
        calls.append(dict(files))
        return _result(1.0 * 1.05 ** len(calls))

    return measure, calls


def _scripted_machine(rounds: dict[bytes, list[float]]):
    """A Measure giving each file set (by its kernel.c) its next scripted GB/s, and the calls it saw."""
    calls: list[bytes] = []

    def measure(files):
        calls.append(files["kernel.c"])
        return _result(rounds[files["kernel.c"]][calls.count(files["kernel.c"]) - 1])

    return measure, calls


_EXTENDED = dict(_MARGINS, extended_rounds=8, extended_alpha=0.01)


def test_one_disturbed_round_extends_the_comparison_and_a_real_speedup_still_wins():
    """2x faster but one candidate round hit by load: 3 rounds are inconclusive, 8 rounds say better."""
    measure, calls = _scripted_machine({b"a": [1.0, 1.01, 0.99, 1.02, 0.98, 1.0, 1.01, 0.99],
                                        b"b": [2.0, 0.5, 2.02, 1.98, 2.01, 1.99, 2.0, 2.03]})
    result = interleaved(measure, ({"kernel.c": b"a"}, {"kernel.c": b"b"}), (4, 5), objective=Objective.compress_gbps,
                         question="better", rounds=3, **_EXTENDED)
    assert len(calls) == 16 and len(result.candidate_values) == 8
    assert result.decision == "better" and result.p_value <= 0.01
    unextended = interleaved(*_scripted_machine({b"a": [1.0, 1.01, 0.99], b"b": [2.0, 0.5, 2.02]})[:1],
                             ({"kernel.c": b"a"}, {"kernel.c": b"b"}), (4, 5), objective=Objective.compress_gbps,
                             question="better", rounds=3, **_MARGINS)
    assert unextended.decision == "within_noise" and unextended.p_value > 0.05


def test_the_second_look_is_stricter_and_noise_stays_within_noise():
    """Overlapping rounds past the margin in medians are measured to 8 and stay within noise; two slow rounds fail it."""
    noisy = {b"a": [1.0, 1.4, 0.8, 1.2, 0.9, 1.3, 1.0, 1.1], b"b": [1.3, 0.9, 1.2, 1.0, 1.4, 0.85, 1.25, 1.05]}
    measure, calls = _scripted_machine(noisy)
    result = interleaved(measure, ({"kernel.c": b"a"}, {"kernel.c": b"b"}), (4, 5), objective=Objective.compress_gbps,
                         question="better", rounds=3, **_EXTENDED)
    assert len(calls) == 16 and result.decision == "within_noise" and result.p_value > 0.01
    measure, calls = _scripted_machine({b"a": [2.0] * 8, b"b": [1.0, 2.5, 1.0, 1.0, 2.5, 1.0, 1.0, 1.0]})
    worse = interleaved(measure, ({"kernel.c": b"a"}, {"kernel.c": b"b"}), (4, 6), objective=Objective.compress_gbps,
                        question="worse", rounds=3, **_EXTENDED)
    assert len(worse.candidate_values) == 8 and worse.decision == "within_noise"


def test_a_conclusive_or_small_change_is_not_extended():
    """Separated first rounds decide at once; medians under the margin never buy more rounds."""
    measure, calls = _scripted_machine({b"a": [1.0, 1.01, 0.99], b"b": [1.5, 1.52, 1.49]})
    clear = interleaved(measure, ({"kernel.c": b"a"}, {"kernel.c": b"b"}), (4, 5), objective=Objective.compress_gbps,
                        question="better", rounds=3, **_EXTENDED)
    assert clear.decision == "better" and len(calls) == 6
    measure, calls = _scripted_machine({b"a": [1.0, 1.02, 0.99], b"b": [1.01, 0.98, 1.0]})
    small = interleaved(measure, ({"kernel.c": b"a"}, {"kernel.c": b"b"}), (4, 5), objective=Objective.compress_gbps,
                        question="better", rounds=3, **_EXTENDED)
    assert small.decision == "within_noise" and len(calls) == 6


def test_interleaving_order_cancels_a_steady_drift():
    """Order A B B A A B: a machine speeding up at every call does not make identical code look faster."""
    measure, calls = _drifting_machine()
    a, b = {"kernel.c": b"a"}, {"kernel.c": b"b"}
    result = interleaved(measure, (a, b), (1, 2), objective=Objective.compress_gbps, question="better", rounds=3,
                         **_MARGINS)
    assert [c["kernel.c"] for c in calls] == [b"a", b"b", b"b", b"a", b"a", b"b"]
    assert result.decision == "within_noise" and result.seconds >= 0
