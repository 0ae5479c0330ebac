#!/usr/bin/env bash
# One call on a GPU machine that has CUDA, CuPy, numpy, pytest and pytest-xdist but no package registry.
# With no flags (a few minutes on a 16-core H200 machine): the register/spill report of the CUDA references,
# every gpu-marked test (in parallel, compiled kernels shared through one build cache; the timing tests
# alone, after the others), and the sandbox's own tests; it ends with one line per suite.
# The long runs are behind flags:
#   --steadiness   bench/gpu_steadiness.py: two harness processes against kernel-vs-kernel CUDA events
#   --bench        bench/gpu_references.py: every reference and baseline through the harness, 3 runs
#   --kernel-bench bench/gpu_kernels.py: the kernels alone (bytes checked against the vectors, then timed)
#   --gap          bench/harness_gap.py: the child's device path against kernel-against-kernel events, and its host time
#                  per call against a null call's (the parent's floor), SZp and SZx at 25.9 MB and 256 MiB
#   --cuszp        bench/cuszp_compare.py against cuSZp built from its sources in .cuszp/ (carry it; never commit it)
#   --compare      bench/harness_compare.py --device cuda (this harness against an old one in .whl/old_harness)
#   --full         also the sandbox and measurement suites (cpu kernels, as CI runs them)
#   --no-tests     none of the test suites: only the runs the other flags ask for
#   --strategies   also single, multi, best-of-n and evolve on szx-optimize-cuda and the eight-candidates concurrency
#                  test on the GPU (needs the agent stack's wheels in .whl/agent/)
# Pure-Python wheels the machine lacks travel in .whl/ (cupti-python, nvidia-ml-py, pydantic, structlog; the agent
# stack in .whl/agent/),
# with a Debian 12 bubblewrap binary (.whl/bwrap) where the machine has none; the shared interoperability
# vectors in .vectors/ (see README). Logs go to $OUT (default /tmp/szagents-gpu).
#   scripts/gpu_check.sh [--steadiness] [--bench] [--kernel-bench] [--gap] [--cuszp] [--compare] [--full] [--strategies] [--no-tests] [pytest args...]
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/szagents-gpu}
steadiness=0 bench=0 kernel_bench=0 gap=0 compare=0 cuszp=0 full=0 tests=1 with_strategies=0
while [ $# -gt 0 ]; do
    case "$1" in
        --steadiness) steadiness=1; shift ;;
        --bench) bench=1; shift ;;
        --no-bench) shift ;;  # the old default ran the benchmark; it is behind --bench now
        --kernel-bench) kernel_bench=1; shift ;;
        --gap) gap=1; shift ;;
        --compare) compare=1; shift ;;
        --cuszp) cuszp=1; shift ;;
        --full) full=1; shift ;;
        --no-tests) tests=0; shift ;;
        --strategies) with_strategies=1; shift ;;
        *) break ;;
    esac
done
mkdir -p "$OUT"
started=$(date +%s)
summary=()
if compgen -G ".whl/*.whl" >/dev/null; then
    # .whl/agent/: the agent stack (langgraph, langchain-*, mcp and what they need beyond the machine's packages),
    # for the strategies' GPU tests (tests/gpu/test_strategies_cuda.py); without it those tests skip.
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/szagents-site \
        .whl/*.whl $(compgen -G ".whl/agent/*.whl")
    export PYTHONPATH=/tmp/szagents-site:${PYTHONPATH:-}
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-} PYTHONUNBUFFERED=1
if ! command -v bwrap >/dev/null && [ -f .whl/bwrap ]; then
    chmod +x .whl/bwrap && export SZAGENTS_BWRAP=$PWD/.whl/bwrap
fi
python3 -c "from szagents.backends.sandbox import isolation_state as s; print('isolation:', s())" | tee "$OUT/isolation.txt"
[ -d .vectors ] && export SZAGENTS_VECTORS=$PWD/.vectors
export SZAGENTS_CACHE=${SZAGENTS_CACHE:-/tmp/szagents-cache}
nvidia-smi --query-gpu=name,compute_cap,memory.total,driver_version,clocks.sm,utilization.gpu --format=csv | tee "$OUT/gpu.txt"
arch=sm_$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d .)
for src in kernels/szp/reference.cu kernels/szx/reference.cu; do
    nvcc -O3 -arch="$arch" -std=c++17 -Xptxas -v -c -I kernels/abi "$src" -o /dev/null 2>&1 | grep -E "Compiling|registers|spill"
done > "$OUT/ptxas.txt"
summary+=("ptxas: $(grep -c registers "$OUT/ptxas.txt") kernels, $(grep -c ' [1-9][0-9]* bytes spill' "$OUT/ptxas.txt") with spills")
status=0
workers=$(( $(nproc) / 2 )); [ "$workers" -gt 8 ] && workers=8; [ "$workers" -lt 1 ] && workers=1
xdist=(); python3 -c "import xdist" 2>/dev/null && xdist=(-n "$workers")
# A suite: its name, its log, then pytest's arguments. Its last line (the counts) goes into the summary.
suite() {
    local name=$1 log=$2; shift 2
    local t0=$(date +%s)
    python3 -m pytest -p no:cacheprovider -q --durations=15 "$@" > "$OUT/$log" 2>&1 || status=1
    summary+=("$name: $(tail -n 1 "$OUT/$log" | sed 's/=//g;s/^ *//') [$(( $(date +%s) - t0 )) s wall]")
}
targets=("$@")
if [ "$tests" = 0 ]; then
    :
elif [ ${#targets[@]} -eq 0 ]; then
    # The tests that compare two timings are marked serial: they run after the others, alone on the GPU.
    # --strategies: the strategies on a cuda task and the cuda case of the eight-candidates concurrency test (they
    # need the agent stack, .whl/agent/, and add about 3 minutes)
    strategies=(--ignore=tests/gpu/test_strategies_cuda.py)
    [ "$with_strategies" = 1 ] && strategies=(tests/strategies)
    suite "gpu tests (parallel)" pytest-gpu.log -m "gpu and not serial" "${xdist[@]}" --ignore=tests/backends/cerebras \
        tests/gpu tests/backends "${strategies[@]}"
    suite "gpu timing tests (serial)" pytest-gpu-timing.log -m "gpu and serial" --ignore=tests/backends/cerebras \
        tests/gpu tests/backends "${strategies[@]}"
    sandbox=(tests/backends/test_sandbox.py)
    [ "$full" = 1 ] && sandbox+=(tests/backends/test_adversarial_sandbox.py tests/backends/test_adversarial_trust.py
                                 tests/backends/test_adversarial_redteam.py tests/backends/test_buildcache.py)
    suite "sandbox tests" pytest-sandbox.log -m "not gpu and not cerebras" "${xdist[@]}" "${sandbox[@]}"
else
    suite "pytest ${targets[*]}" pytest-gpu.log -m gpu "${xdist[@]}" "${targets[@]}"
fi
run_bench() {  # name, log, command...
    local name=$1 log=$2; shift 2
    local t0=$(date +%s) rc=0
    "$@" > "$OUT/$log" 2>&1 || rc=$?
    [ "$rc" = 0 ] || status=1
    summary+=("$name: $(grep -E 'PASS|FAIL' "$OUT/$log" | tail -n 1) [exit $rc, $(( $(date +%s) - t0 )) s]")
}
[ "$steadiness" = 1 ] && run_bench steadiness bench-steadiness.log python3 bench/gpu_steadiness.py --json "$OUT/steadiness.json"
[ "$bench" = 1 ] && run_bench "harness benchmark" bench-harness.log python3 bench/gpu_references.py
if [ "$compare" = 1 ]; then
    old=(); [ -d .whl/old_harness ] && old=(--old .whl/old_harness)
    run_bench "harness compare" bench-compare.log python3 bench/harness_compare.py --device cuda --repeats 5 "${old[@]}"
fi
gap_cases() {
    local spec
    for spec in "szp plain climate" "szx default climate" "szp plain grf_smooth:256x512x512" \
                "szx default grf_smooth:256x512x512"; do
        set -- $spec
        python3 bench/harness_gap.py --kernel "$1" --variant "$2" --dataset "$3" --trace on --log "$OUT/gap.txt" || return 1
    done
}
[ "$gap" = 1 ] && run_bench "harness gap" bench-gap.log gap_cases
[ "$kernel_bench" = 1 ] && run_bench "kernel benchmark" bench-kernels.log python3 bench/gpu_kernels.py --log-dir "$OUT"
[ "$cuszp" = 1 ] && run_bench "cuSZp comparison" bench-cuszp.log python3 bench/cuszp_compare.py --runs 3 --json "$OUT/cuszp_compare.json"
echo
echo "== gpu_check summary ($(( $(date +%s) - started )) s in all; logs in $OUT)" | tee "$OUT/summary.txt"
printf '%s\n' "${summary[@]}" | tee -a "$OUT/summary.txt"
exit $status
