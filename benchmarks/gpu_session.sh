#!/usr/bin/env bash
# One GPU session in one command, on a machine whose python3 already has numpy, numba,
# numba-cuda, pandas, scikit-learn, click, pytest(-xdist, -timeout) and torch (CUDA build):
#     bash benchmarks/gpu_session.sh OUTDIR
# Installs tsgate without dependencies, then writes under OUTDIR: versions.txt, the GPU
# tests at real sizes (gpu_tests.log), the kernel benchmark against PyTorch + cuDNN
# (gpu_bench.md, gpu_bench.log; GPU_BENCH_SIZES=BxTxH,... for a subset), the end-to-end forecaster
# fits (gpu_e2e.md), where small calls spend their time (gpu_profile.log) and each kernel's
# GPU and launch time (gpu_kernels.log); with
# GPU_AB_OLD=DIR (a directory holding an older tsgate/, e.g. from git archive, carried), also
# that version against this one on the same host (gpu_ab.md, benchmarks/gpu_ab.py). Each step
# has its own time limit, so one that hangs leaves the others' results. Where the image's
# numpy is too new for its numba-cuda (numpy 2.5 dropped np.row_stack, which numba-cuda
# 0.30.4 still registers), carry an older numpy wheel in .whl/ (the device tool's README).
set -uo pipefail
out=${1:?usage: gpu_session.sh OUTDIR}
mkdir -p "$out"
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1
# Wheels carried in .whl/ (e.g. a numpy the image's numba-cuda can import) go first on the path.
if ls .whl/*.whl > /dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
    export PYTHONPATH=/tmp/site
fi
{ nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv; python3 -c \
  'import numpy,numba,pandas,sklearn,torch,sys;print(sys.version);print(numpy.__version__,numba.__version__,pandas.__version__,sklearn.__version__,torch.__version__)'
  python3 -m pip show numba-cuda 2>/dev/null | head -2; nproc; } > "$out/versions.txt" 2>&1
python3 -m pip install -q --no-deps --no-build-isolation -e . >> "$out/versions.txt" 2>&1 || echo "install failed" >> "$out/versions.txt"
timeout "${GPU_TEST_S:-240}" python3 -m pytest -q -p no:cacheprovider -m gpu -n "${GPU_TEST_WORKERS:-12}" \
  -rfE --timeout 200 tests/test_gpu_backend.py tests/test_gpu_training.py > "$out/gpu_tests.log" 2>&1
echo "rc=$?" >> "$out/gpu_tests.log"
timeout "${GPU_BENCH_S:-200}" python3 benchmarks/bench_gpu.py --skip-tests ${GPU_BENCH_SIZES:+--sizes "$GPU_BENCH_SIZES"} \
  --out "$out/gpu_bench.md" > "$out/gpu_bench.log" 2>&1
echo "rc=$?" >> "$out/gpu_bench.log"
timeout "${GPU_E2E_S:-60}" python3 benchmarks/gpu_e2e.py --out "$out/gpu_e2e.md" > "$out/gpu_e2e.log" 2>&1
echo "rc=$?" >> "$out/gpu_e2e.log"
timeout "${GPU_PROFILE_S:-60}" python3 benchmarks/gpu_profile.py > "$out/gpu_profile.log" 2>&1
echo "rc=$?" >> "$out/gpu_profile.log"
(cd benchmarks && timeout "${GPU_KERNELS_S:-90}" python3 gpu_kernels.py > "$out/gpu_kernels.log" 2>&1
 echo "rc=$?" >> "$out/gpu_kernels.log")
if [ -n "${GPU_AB_OLD:-}" ]; then
    timeout "${GPU_AB_S:-220}" python3 benchmarks/gpu_ab.py --old "$GPU_AB_OLD" --out "$out/gpu_ab.md" > "$out/gpu_ab.log" 2>&1
    echo "rc=$?" >> "$out/gpu_ab.log"
fi
tail -n 5 "$out"/*.log
