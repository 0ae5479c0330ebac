#!/usr/bin/env bash
# One call on a GPU machine that has CUDA, CuPy, numpy and pytest but no package registry:
# register/spill report of the CUDA references, every gpu-marked test, the sandbox and measurement
# suites (cpu kernels, run there too), then the GPU benchmark through the cuda backend's harness.
# Pure-Python wheels the machine lacks travel in .whl/, with a Debian 12 bubblewrap binary
# (.whl/bwrap) where the machine has none; the shared interoperability vectors in .vectors/ (see
# README). Logs go to $OUT (default /tmp/szagents-gpu).
#   scripts/gpu_check.sh [--no-bench] [--kernel-bench] [--compare] [--cuszp] [--sweep] [pytest args...]
# --cuszp: bench/cuszp_compare.py against cuSZp built from its sources in .cuszp/ (carry it; never commit it).
# --sweep: bench/cuda_sweep.py, the tuning variants of the CUDA references (with cuSZp when .cuszp/ is there).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/szagents-gpu}
bench=1 kernel_bench=0 compare=0 cuszp=0 sweep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --no-bench) bench=0; shift ;;
        --kernel-bench) kernel_bench=1; shift ;;
        --compare) compare=1; shift ;;
        --cuszp) cuszp=1; shift ;;
        --sweep) sweep=1; shift ;;
        *) break ;;
    esac
done
mkdir -p "$OUT"
if compgen -G ".whl/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/szagents-site .whl/*.whl
    export PYTHONPATH=/tmp/szagents-site:${PYTHONPATH:-}
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-} PYTHONUNBUFFERED=1
if ! command -v bwrap >/dev/null && [ -f .whl/bwrap ]; then
    chmod +x .whl/bwrap && export SZAGENTS_BWRAP=$PWD/.whl/bwrap
fi
python3 -c "from szagents.backends.sandbox import isolation_state as s; print('isolation:', s())" | tee "$OUT/isolation.txt"
[ -d .vectors ] && export SZAGENTS_VECTORS=$PWD/.vectors
export SZAGENTS_CACHE=${SZAGENTS_CACHE:-/tmp/szagents-cache}
nvidia-smi --query-gpu=name,compute_cap,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
arch=sm_$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d .)
for src in kernels/szp/reference.cu kernels/szx/reference.cu; do
    nvcc -O3 -arch="$arch" -std=c++17 -Xptxas -v -c -I kernels/abi "$src" -o /dev/null 2>&1 | grep -E "Compiling|registers|spill" 
done | tee "$OUT/ptxas.txt"
status=0
# Test folders whose modules import without the agent stack (LangGraph is not on GPU machines).
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(tests/gpu tests/backends)
python3 -m pytest -m gpu -p no:cacheprovider -q --ignore=tests/backends/cerebras "${targets[@]}" 2>&1 | tee "$OUT/pytest-gpu.log" || status=1
if [ $# -eq 0 ]; then
    python3 -m pytest -m "not gpu and not cerebras" -p no:cacheprovider -q tests/backends/test_sandbox.py \
        tests/backends/test_adversarial_sandbox.py tests/backends/test_adversarial_trust.py \
        tests/backends/test_adversarial_redteam.py tests/backends/test_buildcache.py 2>&1 | tee "$OUT/pytest-sandbox.log" || status=1
fi
if [ "$bench" = 1 ]; then
    python3 bench/gpu_references.py 2>&1 | tee "$OUT/bench-harness.log" || status=1
fi
if [ "$compare" = 1 ]; then
    old=(); [ -d .whl/old_harness ] && old=(--old .whl/old_harness)
    python3 bench/harness_compare.py --device cuda --repeats 5 "${old[@]}" 2>&1 | tee "$OUT/bench-compare.log" || status=1
fi
if [ "$kernel_bench" = 1 ]; then
    python3 bench/gpu_kernels.py --log-dir "$OUT" 2>&1 | tee "$OUT/bench-kernels.log" || status=1
fi
if [ "$cuszp" = 1 ]; then
    python3 bench/cuszp_compare.py --runs 3 --json "$OUT/cuszp_compare.json" 2>&1 | tee "$OUT/bench-cuszp.log" || status=1
fi
if [ "$sweep" = 1 ]; then
    OUT="$OUT/sweep" python3 bench/cuda_sweep.py 2>&1 | tail -60 || status=1
fi
exit $status
