"""One realistic instance of every trajectory event type, for round-trip tests."""

from __future__ import annotations

from szagents.trajectory import BenchmarkCase, BoundViolation, CaseResult, Environment, EventBase, Timing, events

RUN_ID = "szp-cuda-translate-0001"


def _timing(median_seconds: float) -> Timing:
    return Timing(median_seconds=median_seconds, min_seconds=median_seconds * 0.9, max_seconds=median_seconds * 1.2,
                  iqr_seconds=median_seconds * 0.1, repetitions=10, cv=0.04, coverage="cupti")


def sample_case() -> CaseResult:
    """A failed validation case with its first bound violation."""
    return CaseResult(dataset="cesm", n=1_000_000, dtype="float32", eb=1e-3, verdict="bound_violation",
                      detail="max |x-x'| 2e-3 > eb 1e-3", max_abs_error=2e-3, max_error_over_eb=2.0,
                      violation=BoundViolation(index=17, value=1.0, reconstructed=1.002, abs_error=2e-3,
                                               error_over_eb=2.0, count=3))


def sample_benchmark_case() -> BenchmarkCase:
    """A measured benchmark case (cuda, with energy)."""
    return BenchmarkCase(dataset="cesm", n=1_000_000, dtype="float32", eb=1e-3, input_bytes=4_000_000,
                         compressed_bytes=800_000, ratio=5.0, compress=_timing(1.9e-5), decompress=_timing(1.7e-5),
                         compress_gbps=210.0, decompress_gbps=235.3, psnr_db=float("inf"), nrmse=0.0,
                         max_error_over_eb=0.5, compress_joules_per_gb=1.5, decompress_joules_per_gb=1.25)


def sample_events(run_id: str = RUN_ID) -> dict[str, EventBase]:
    """Event name -> an instance with every required field and some optional ones set."""
    samples = [
        events.RunStart(run_id=run_id, task_id="szp/translate/cuda", kernel="szp", mode="translate",
                        target="cuda", variant="plain", team="multi", tier="expert",
                        models={"translator": "scripted:demo", "optimizer": "openai:gpt-5.1-codex"},
                        budgets={"iterations": 40, "wall_seconds": 3600.0}, szagents_version="0.1.0",
                        host="node7"),
        events.RunEnd(run_id=run_id, stop_reason="plateau", iterations={"translator": 3, "optimizer": 9},
                      input_tokens=120_000, output_tokens=8_000, wall_seconds=812.5, best_revision=4,
                      best_compress_gbps=212.3, best_decompress_gbps=240.1, best_ratio=5.25),
        events.NodeEnter(run_id=run_id, node="translator", role="translator"),
        events.NodeExit(run_id=run_id, node="translator", role="translator", duration_s=12.5,
                        changes={"revisions": 1, "messages": {"added": 2}}),
        events.LlmCall(run_id=run_id, role="optimizer", model="openai:gpt-5.1-codex", iteration=3,
                       input_tokens=9000, output_tokens=700, latency_s=4.2, request_messages=12,
                       response={"content": "Use warp shuffles.", "tool_calls": [
                           {"name": "edit_file", "args": {"path": "kernel.cu"}, "id": "call_1"}]}),
        events.ToolCall(run_id=run_id, role="optimizer", tool="edit_file", call_id="call_1",
                        args={"path": "kernel.cu", "old": "a", "new": "b"}, ok=True, output="edited",
                        duration_s=0.01),
        events.CompileEvent(run_id=run_id, by="tool", ok=False, cached=False, compile_seconds=3.5,
                            content_sha256="ab" * 32, command=["nvcc", "-O3", "kernel.cu"],
                            log_excerpt="kernel.cu(12): error: identifier \"x\" is undefined"),
        events.ValidationEvent(run_id=run_id, by="validator", verdict="bound_violation",
                               detail="max |x-x'| 2e-3 > eb 1e-3",
                               cases=[sample_case()],
                               wall_seconds=2.0),
        events.BenchmarkEvent(run_id=run_id, by="validator", verdict="ok",
                              cases=[sample_benchmark_case()],
                              environment=Environment(backend="cuda", device="H100", memory_bandwidth_gbps=3350.0)),
        events.RevisionEvent(run_id=run_id, number=4, role="optimizer", action="fuse prefix sum",
                             sha256="cd" * 32, files=["kernel.cu"], verdict="ok", correct=True,
                             compress_gbps=212.3, decompress_gbps=240.1, ratio=5.25, is_best=True,
                             diff="--- a\n+++ b\n@@ -1 +1 @@\n-a\n+b\n"),
        events.RollbackEvent(run_id=run_id, from_revision=5, to_revision=4, reason="regression"),
        events.ComparisonEvent(run_id=run_id, baseline=4, candidate=5, objective="compress_gbps", question="worse",
                               baseline_values=[2.0, 2.1, 1.9], candidate_values=[1.2, 1.3, 1.1], baseline_median=2.0,
                               candidate_median=1.2, change=-0.4, baseline_cv=0.05, candidate_cv=0.08, p_value=0.05,
                               decision="worse", seconds=9.5),
        events.RouteEvent(run_id=run_id, source="validator", target="optimizer", reason="correct; optimize"),
        events.ErrorEvent(run_id=run_id, kind="model_api", message="HTTP 503 from provider, retrying"),
        events.RateLimitWait(run_id=run_id, role="optimizer", provider="openai", wait_s=1.25,
                             requests_per_minute=60.0, window_s=10.0),
    ]
    return {event.event: event for event in samples}
