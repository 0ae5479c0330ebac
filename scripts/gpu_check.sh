#!/usr/bin/env bash
# One call on a GPU machine that has CUDA, CuPy, numpy and pytest but no package registry:
# builds the CUDA kernels, runs every gpu-marked test, then the GPU benchmark and the cuda demo.
# Pure-Python wheels it lacks (pydantic, ...) travel in .whl/ (see CONTRIBUTING in README.md);
# the shared interoperability vectors travel in .vectors/. Logs go to $OUT (default /tmp/szagents-gpu).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/szagents-gpu}
mkdir -p "$OUT"
if compgen -G ".whl/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/szagents-site .whl/*.whl
    export PYTHONPATH=/tmp/szagents-site:${PYTHONPATH:-}
fi
export PYTHONPATH=$PWD:${PYTHONPATH:-} PYTHONUNBUFFERED=1
[ -d .vectors ] && export SZAGENTS_VECTORS=$PWD/.vectors
export SZAGENTS_CACHE=${SZAGENTS_CACHE:-/tmp/szagents-cache}
nvidia-smi --query-gpu=name,compute_cap,memory.total,driver_version --format=csv | tee "$OUT/gpu.txt"
status=0
python3 -m pytest -m gpu -p no:cacheprovider -q tests "$@" 2>&1 | tee "$OUT/pytest-gpu.log" || status=1
if [ -f bench/gpu_kernels.py ]; then
    python3 bench/gpu_kernels.py 2>&1 | tee "$OUT/bench-gpu.log" || status=1
fi
python3 -c "from szagents.cli.app import main; main()" demo --backend cuda --quick 2>&1 | tee "$OUT/demo-cuda.log" || status=1
exit $status
