"""The shared budget admits no more calls than it holds, whatever the concurrency; the gate keeps benchmarks alone."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from langchain_core.messages import HumanMessage

from szagents.models.calls import CallPolicy
from szagents.models.scripted import make_scripted
from szagents.models.pricing import Price, PriceTable
from szagents.roles.budget import BudgetSpent
from szagents.strategies.budget import SharedBudget
from szagents.strategies.gate import DeviceGate
from szagents.tasks.task import Budgets

SPEC = "scripted:hello"


def _call(meter: SharedBudget) -> str:
    model = make_scripted("hello", position="calls")
    try:
        meter.invoke(SPEC, model, [HumanMessage("hi")], policy=CallPolicy())
        return "called"
    except BudgetSpent as spent:
        return spent.reason


def test_sixteen_concurrent_callers_get_exactly_the_budgets_calls():
    meter = SharedBudget(Budgets(iterations=5, tokens=10**9, wall_seconds=600), concurrency=8)
    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(lambda _: _call(meter), range(16)))
    assert outcomes.count("called") == 5 and set(outcomes) == {"called", "budget_iterations"}
    assert meter.totals()["calls"] == 5 and meter.totals()["input_tokens"] > 0


def test_tokens_and_cost_stop_admission_once_spent():
    meter = SharedBudget(Budgets(iterations=100, tokens=1, wall_seconds=600))
    assert _call(meter) == "called" and _call(meter) == "budget_tokens"
    prices = PriceTable(prices={SPEC: Price(input_per_mtok=1e6, output_per_mtok=1e6)})
    dear = SharedBudget(Budgets(iterations=100, tokens=10**9, wall_seconds=600), cost_usd_limit=1.0, prices=prices)
    assert _call(dear) == "called" and _call(dear) == "budget_cost"


def test_a_resumed_meter_starts_from_the_logged_calls():
    class Logged:
        event, model, input_tokens, output_tokens = "llm_call", SPEC, 10, 5

    meter = SharedBudget(Budgets(iterations=2, tokens=10**9, wall_seconds=600))
    meter.charge_recorded([Logged(), Logged()])
    assert meter.stop_reason() == "budget_iterations" and meter.totals()["input_tokens"] == 20


def test_wall_time_of_earlier_sessions_counts():
    meter = SharedBudget(Budgets(iterations=9, tokens=10**9, wall_seconds=60), elapsed_s=61)
    assert _call(meter) == "budget_wall"


def test_a_benchmark_waits_for_compiles_and_keeps_new_ones_out():
    gate, order = DeviceGate(), []
    compiling, bench_started, release = threading.Event(), threading.Event(), threading.Event()

    def compile_job() -> None:
        with gate.shared():
            compiling.set()
            release.wait(5)
            order.append("compile done")

    def bench_job() -> None:
        with gate.exclusive():
            bench_started.set()
            order.append("bench")

    def late_compile() -> None:
        with gate.shared():
            order.append("late compile")

    first = threading.Thread(target=compile_job)
    first.start()
    compiling.wait(5)
    bench = threading.Thread(target=bench_job)
    bench.start()
    assert not bench_started.wait(0.3)  # it cannot start while the compile holds the gate (load only delays it)
    late = threading.Thread(target=late_compile)
    late.start()
    release.set()
    for t in (first, bench, late):
        t.join(5)
    assert order == ["compile done", "bench", "late compile"] and gate.exclusive_holds == 1
