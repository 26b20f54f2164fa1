#!/usr/bin/env bash
# The GPU check in one go, for a machine lent with an NVIDIA GPU and little time:
#   1. find the GPU and its CUDA version, install the matching CuPy (and a CUDA PyTorch if the
#      installed one has no CUDA), 2. run the test suite's `cuda` cases, 3. run
#   `python -m benchmarks.gpu` (every case, with and without autocast), 4. a 1-rank NCCL
#   smoke test of glassnet.distributed. Everything goes into $OUT (default
#   benchmarks/results/gpu-check): logs, cuda-tests.txt, gpu.md, gpu.json, summary.txt.
#
#   OUT=/some/folder bash benchmarks/gpu_check.sh            # the whole check
#   GPU_CHECK_STEPS=5 GPU_CHECK_ROUNDS=3 bash benchmarks/gpu_check.sh   # shorter benchmarks
#   GPU_CHECK_SKIP_INSTALL=1 ...                             # use what is installed
#
# Exit status: 2 when there is no GPU or CuPy cannot be installed (nothing else can run),
# otherwise the number of failed parts (0: all passed). Each part is time-limited so that one
# hang cannot eat the whole lease.
set -u
OUT="${OUT:-benchmarks/results/gpu-check}"
PY="${PYTHON:-python}"
STEPS="${GPU_CHECK_STEPS:-5}"
ROUNDS="${GPU_CHECK_ROUNDS:-3}"
mkdir -p "$OUT"
export PYTHONPATH="${PYTHONPATH:+$PYTHONPATH:}$PWD"
summary="$OUT/summary.txt"
: >"$summary"
note() { echo "$*" | tee -a "$summary"; }
failed=0

# ---- 1. the GPU, CuPy, PyTorch ------------------------------------------------------------------
if ! nvidia-smi >"$OUT/nvidia-smi.txt" 2>&1; then
    note "gpu_check: no NVIDIA GPU here (nvidia-smi failed: $(head -c 300 "$OUT/nvidia-smi.txt"))"
    note "gpu_check: nothing GPU-side can run; on a CPU use: python -m benchmarks.gpu --device cpu --small"
    exit 2
fi
cuda_major=$(sed -n 's/.*CUDA Version: \([0-9]*\)\..*/\1/p' "$OUT/nvidia-smi.txt" | head -1)
note "gpu: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1), driver CUDA ${cuda_major:-?}"

if [ -z "${GPU_CHECK_SKIP_INSTALL:-}" ]; then
    if ! "$PY" -c "import cupy" 2>/dev/null; then
        # CuPy's wheels are per CUDA major version; the driver's version bounds what runs
        pkg="cupy-cuda${cuda_major:-12}x"
        note "installing $pkg"
        timeout 180 "$PY" -m pip install -q "$pkg" >"$OUT/pip-cupy.log" 2>&1 \
            || { note "gpu_check: could not install $pkg (see pip-cupy.log)"; exit 2; }
    fi
    if ! "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
        note "installing a CUDA build of PyTorch (the installed one has no CUDA)"
        timeout 300 "$PY" -m pip install -q torch >"$OUT/pip-torch.log" 2>&1 \
            || note "gpu_check: could not install a CUDA PyTorch (see pip-torch.log); benchmarks will fail"
    fi
fi
if ! "$PY" -c "import cupy; cupy.cuda.runtime.getDeviceCount(); print((cupy.arange(3) * 2).sum())" \
    >"$OUT/cupy-smoke.txt" 2>&1; then
    note "gpu_check: CuPy does not run on this GPU: $(tail -n 1 "$OUT/cupy-smoke.txt")"
    exit 2
fi
note "cupy: $("$PY" -c 'import cupy; print(cupy.__version__)')"

# ---- 2. the cuda test cases -------------------------------------------------------------------
timeout 200 "$PY" -m pytest tests -q -k cuda -p no:cacheprovider --maxfail=20 \
    >"$OUT/cuda-tests.txt" 2>&1
rc=$?
note "cuda tests (rc $rc): $(tail -n 1 "$OUT/cuda-tests.txt")"
[ "$rc" -eq 0 ] || failed=$((failed + 1))

# ---- 3. the benchmarks --------------------------------------------------------------------------
timeout 300 "$PY" -m benchmarks.gpu --steps "$STEPS" --rounds "$ROUNDS" --json "$OUT/gpu.json" \
    >"$OUT/gpu.md" 2>"$OUT/gpu-errors.txt"
rc=$?
note "benchmarks.gpu (rc $rc): $(grep -c '^| ' "$OUT/gpu.md") table lines in gpu.md"
[ "$rc" -eq 0 ] || failed=$((failed + 1))

# ---- 4. NCCL through glassnet.distributed, one rank -------------------------------------------
timeout 60 "$PY" -m glassnet run -n 1 benchmarks/nccl_smoke.py >"$OUT/nccl.txt" 2>&1
rc=$?
note "nccl smoke (rc $rc): $(tail -n 1 "$OUT/nccl.txt")"
[ "$rc" -eq 0 ] || failed=$((failed + 1))

note "gpu_check: $failed part(s) failed"
exit "$failed"
