"""Deterministic synthetic runs for the golden files: the study's Tables II and III as traces, Cerebras runs, repeats."""

from __future__ import annotations

from pathlib import Path

from tests.analysis.synthetic import SyntheticRun, SyntheticStep, write_run

GPT, GEMINI = "openai:gpt-5.1-codex", "google_genai:gemini-2.5-pro"

# Reference numbers the reports are written with (made up: only their place in a report is tested).
REFERENCE = [{"kernel": "szx", "backend": "cuda", "compress_gbps": 1500.0, "decompress_gbps": 1000.0, "label": "cuSZx"},
             {"kernel": "szp", "backend": "cuda", "compress_gbps": 100.0, "decompress_gbps": 800.0, "label": "cuSZp"}]

# The study's Table II (Cu-SZx optimization trace): Tc, Td, ratio, action.
TABLE_II = [
    (886.0, 975.2, 3.50, "Baseline"), (1110.0, 866.3, 4.75, "Initial GPU parallelism"),
    (1236.7, 914.5, 4.75, "Zstd backend"), (1191.4, 921.5, 4.75, "Kernel parallelization"),
    (1191.4, 921.5, 4.75, "GPU prefix-sum (offsets)"), (818.7, 861.8, 2.15, "Remove XOR prefix; LZ-byte encoding; GPU scan"),
    (1064.4, 851.8, 4.75, "Remove host radius copy"), (809.4, 832.3, 2.15, "Chunked pipeline"),
    (742.2, 820.7, 2.15, "Dual-stream chunk pipeline"), (1031.0, 867.7, 4.75, "Reduce CPU-side work"),
    (979.0, 846.8, 4.75, "GPU O-array generation"), (1270.6, 911.2, 7.99, "Block size tuning"),
]
# The study's arrows for Table II (Tc, Td) from step 2 on; "" where the value did not change.
TABLE_II_ARROWS = [("up", "down"), ("up", "up"), ("down", "up"), ("", ""), ("down", "down"), ("up", "down"),
                   ("down", "down"), ("down", "down"), ("up", "up"), ("down", "down"), ("up", "up")]

# The study's Table III (Cu-SZp optimization trace).
TABLE_III = [
    (60.8, 307.9, 15.87, "Baseline"), (54.5, 292.9, 15.87, "CUB scan; CUDA streams"),
    (48.2, 609.4, 15.87, "GPU bit pack/unpack"), (44.3, 578.2, 15.87, "Grid-stride packing"),
    (45.4, 609.5, 15.87, "Kernel fusion; remove intermediates"), (52.0, 609.6, 15.87, "Parallel byte-count writes"),
    (38.9, 554.4, 15.87, "Parallel remainder-bit pack"), (42.4, 570.3, 15.87, "Pre-alloc output buffer"),
    (46.7, 547.4, 15.87, "Warp-level ballot pack"), (40.9, 558.5, 15.87, "Vectorized aligned writes"),
]


def _steps(table: list[tuple[float, float, float, str]], own: dict[int, tuple[float, ...]] | None = None) -> tuple[SyntheticStep, ...]:
    """Steps from (Tc, Td, ratio, action) rows: the first is the baseline, each later one costs two LLM calls."""
    own = own or {}
    return tuple(SyntheticStep(action, tc=tc, td=td, ratio=ratio, calls=0 if i == 0 else 2 + len(own.get(i + 1, ())),
                               own_tc=own.get(i + 1, ()), bandwidth_fraction=round(tc / 2000, 4))
                 for i, (tc, td, ratio, action) in enumerate(table))


def golden_specs() -> dict[str, list[SyntheticRun]]:
    """Folder name -> runs: 'single' (GPU traces, a failing repeat, Cerebras) and 'multi' (two repeats)."""
    failing = (SyntheticStep("Baseline", tc=886.0, td=975.2, ratio=3.50, calls=0),
               SyntheticStep("Fused kernels", verdict="compile_error", calls=3),
               SyntheticStep("Fix build", tc=1000.0, td=900.0, ratio=4.75, calls=1),
               SyntheticStep("Warp shuffles", verdict="crash", calls=2),
               SyntheticStep("Unchecked sizes", verdict="size_error", calls=1))
    cerebras_ok = (SyntheticStep("CSL layout", verdict="stall", exec_time_s=0.0, calls=3),
                   SyntheticStep("Host-PE copies", verdict="zero_exec_time", exec_time_s=0.0, calls=4),
                   SyntheticStep("Fix routing", exec_time_s=134.0, calls=5))
    cerebras_bad = (SyntheticStep("CSL layout", verdict="compile_error", calls=4),
                    SyntheticStep("PE program", verdict="zero_exec_time", exec_time_s=0.0, calls=5))
    return {
        "single": [
            SyntheticRun("szx-gpt-1", _steps(TABLE_II, {3: (1200.0, 1300.0)}), model=GPT, target="cuda"),
            SyntheticRun("szx-gpt-2", failing, model=GPT, target="cuda", stop_reason="plateau"),
            SyntheticRun("szp-gem-1", _steps(TABLE_III), model=GEMINI, tier="user", kernel="szp", target="cuda"),
            SyntheticRun("csl-gpt-1", cerebras_ok, model=GPT, kernel="szp", mode="translate", target="cerebras",
                         stop_reason="budget_iterations", iteration_budget=12),
            SyntheticRun("csl-gem-1", cerebras_bad, model=GEMINI, kernel="szx", mode="translate", target="cerebras",
                         stop_reason="budget_iterations", iteration_budget=9),
        ],
        "multi": [
            SyntheticRun("szx-gpt-m1", _steps(TABLE_II[:6]), model=GPT, target="cuda", team="multi"),
            SyntheticRun("szx-gpt-m2", _steps([(t * 1.5, d * 1.2, r, a) for t, d, r, a in TABLE_II[:4]]), model=GPT,
                         target="cuda", team="multi", stop_reason="plateau"),
        ],
    }


def write_golden_runs(root: Path) -> None:
    """Write every golden run under root/<folder>/<run id>."""
    for folder, specs in golden_specs().items():
        for spec in specs:
            write_run(root / folder, spec)
