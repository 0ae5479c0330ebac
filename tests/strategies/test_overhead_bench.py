"""bench/search_overhead.py subtracts the time the harness was busy, counting overlapping calls once."""

from __future__ import annotations

from tests.bench_scripts import load_bench


def test_the_harness_time_is_the_union_of_its_calls():
    """Overlapping compiles count once, a gap counts nothing, a call inside another adds nothing."""
    union_seconds = load_bench("search_overhead").union_seconds
    assert union_seconds([]) == 0.0
    assert union_seconds([(0.0, 2.0), (1.0, 3.0), (5.0, 6.0), (5.2, 5.5)]) == 4.0
    assert union_seconds([(4.0, 5.0), (0.0, 1.0)]) == 2.0
