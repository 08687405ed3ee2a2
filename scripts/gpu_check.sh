#!/usr/bin/env bash
# The GPU check: builds hold on a machine that has a PyTorch install and CUDA
# but no network, runs the CUDA-tagged tests, and benchmarks the paper's
# CIFAR-10 network (NCSN++ deep, HOLD, 9 input channels) on the GPU. Writes
# everything it measured to OUT/gpu_check.json (and logs beside it).
#
#   bash scripts/gpu_bundle.sh                      # here (apt works): gpu-deps/, ~10 MB
#   bash scripts/gpu_check.sh --python /opt/torch/.venv/bin/python --deps gpu-deps --out "$OUT"
#
# Steps (each recorded in the JSON; a failing step does not stop the others):
#   1. configure and build against that Python's torch (CUDA and NCCL compiled in);
#   2. hold-train --version;
#   3. the [cuda] tests (device placement, device generators and their
#      resume, SDPA against the explicit formula, bf16/fp16 autocast with the
#      loss scaler, fused Adam on the GPU, 2 processes over Gloo with CUDA
#      tensors against 1) and the [gpu-path] tests;
#   4. training it/s at batch 128, bf16 and fp32, on synthetic CIFAR-10 files
#      (random pixels: the cost does not depend on them), with peak GPU memory;
#   5. sampling images/s with lt at 150 NFE from the bf16 run's checkpoint.
# Options: --steps N (training steps per precision, default 40), --n N
# (images sampled, default 256), --jobs N (build jobs, default: all cores),
# --skip-build (reuse $BUILD_DIR, default build-gpu, from an earlier run).
set -uo pipefail
cd "$(dirname "$0")/.."

python=${HOLD_PYTHON:-python3}
deps=gpu-deps
out=${OUT:-gpu-check-out}
steps=40
n_images=256
jobs=$(nproc)
skip_build=0
while [ $# -gt 0 ]; do
  case "$1" in
    --python) python=$2; shift 2 ;;
    --deps) deps=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --n) n_images=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --skip-build) skip_build=1; shift ;;
    *) echo "error: unknown option '$1' (gpu_check.sh)" >&2; exit 2 ;;
  esac
done
[ -d "$deps/root" ] || { echo "error: no dependency bundle at $deps/root; run scripts/gpu_bundle.sh (--deps)" >&2; exit 2; }
"$python" -c "import torch" 2>/dev/null || { echo "error: $python cannot import torch (--python)" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
deps=$(cd "$deps" && pwd)
build=${BUILD_DIR:-build-gpu}
results="$out/results.txt"  # key<TAB>value lines, turned into JSON at the end
: > "$results"
note() { printf '%s\t%s\n' "$1" "$2" >> "$results"; echo "gpu_check: $1 = $2"; }
elapsed() { echo $(( $(date +%s) - $1 )); }

# Keep whatever the step wrote even when it fails, and keep going.
step_build() {
  local t0; t0=$(date +%s)
  local gen=()
  command -v ninja >/dev/null && gen=(-G Ninja)
  local deps_usr="$deps/root/usr"
  export LD_LIBRARY_PATH="$deps_usr/lib/x86_64-linux-gnu:$deps/root/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
  cmake -S . -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DHOLD_PYTHON="$python" \
    -DCMAKE_PREFIX_PATH="$deps_usr;$deps_usr/lib/x86_64-linux-gnu/cmake;$deps_usr/share/cmake;$deps_usr/lib/cmake" \
    -DCMAKE_INCLUDE_PATH="$deps_usr/include" -DCMAKE_LIBRARY_PATH="$deps_usr/lib/x86_64-linux-gnu" \
    > "$out/configure.log" 2>&1 || { note build "configure failed (configure.log)"; return 1; }
  cmake --build "$build" -j "$jobs" > "$out/build.log" 2>&1 || { note build "failed (build.log)"; return 1; }
  note build_s "$(elapsed "$t0")"
  note build_warnings "$(grep -c 'warning:' "$out/build.log")"
  note deprecation_warnings "$(grep -ci 'deprecated' "$out/build.log")"
}

step_version() {
  "$build/bin/hold-train" --version > "$out/version.txt" 2>&1
  note version "$(tr '\n' ';' < "$out/version.txt")"
}

step_tests() {
  local t0; t0=$(date +%s)
  local tests; tests="$(cd "$build" && pwd)/tests/hold_tests"
  "$tests" "[cuda]" --durations yes > "$out/cuda_tests.log" 2>&1
  note cuda_tests_rc "$?"
  note cuda_tests_summary "$(grep -E 'test cases|All tests passed' "$out/cuda_tests.log" | tail -1)"
  "$tests" "[gpu-path]" > "$out/gpu_path_tests.log" 2>&1
  note gpu_path_tests_rc "$?"
  note tests_s "$(elapsed "$t0")"
}

# Synthetic CIFAR-10 binary batches (label byte + 3072 pixels per record).
make_fake_cifar() {
  local dir=$1 records=$2
  mkdir -p "$dir"
  for b in 1 2 3 4 5; do
    "$python" -c "import os,sys; n=int(sys.argv[1]); sys.stdout.buffer.write(b''.join(b'\x00'+os.urandom(3072) for _ in range(n)))" \
      "$records" > "$dir/data_batch_$b.bin"
  done
  cp "$dir/data_batch_1.bin" "$dir/test_batch.bin"
}

# Peak GPU memory (MiB, as nvidia-smi sees this machine) while "$@" runs.
with_peak_memory() {
  local log=$1; shift
  local mem="$log.mem"
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 > "$mem" 2>/dev/null &
    local smi=$!
    "$@"; local rc=$?
    kill "$smi" 2>/dev/null; wait "$smi" 2>/dev/null
    PEAK_MIB=$(sort -n "$mem" | tail -1)
    return $rc
  fi
  PEAK_MIB=unknown
  "$@"
}

step_train_bench() {
  local data="$out/fake_cifar10"
  make_fake_cifar "$data" 1024
  local precision
  for precision in bf16 fp32; do
    local work="$out/train_$precision"
    rm -rf "$work"
    with_peak_memory "$out/train_$precision.log" "$build/bin/hold-train" --config configs/cifar10_hold.yaml \
      --device cuda:0 --workdir "$work" --max-steps "$steps" --set data.path="$data" \
      --set train.precision=$precision --set train.sample_every=0 --set train.log_every=10 \
      --set train.ckpt_every=100000 > "$out/train_$precision.log" 2>&1
    local rc=$?
    note "train_${precision}_rc" "$rc"
    note "train_${precision}_peak_gpu_mib" "$PEAK_MIB"
    # The last logged interval's rate (the first interval includes warm-up).
    local rate
    rate=$("$python" -c "import json,sys; r=[json.loads(l) for l in open(sys.argv[1]) if 'it_per_s' in l]; print(r[-1]['it_per_s'] if r else 'none')" \
      "$work/metrics.jsonl" 2>/dev/null)
    note "train_${precision}_it_per_s" "${rate:-none}"
  done
}

step_sample_bench() {
  local ckpt="$out/train_bf16/checkpoints/latest.pt"
  [ -f "$ckpt" ] || { note sample "no checkpoint from the bf16 run"; return 1; }
  local t0; t0=$(date +%s.%N)
  with_peak_memory "$out/sample.log" "$build/bin/hold-sample" --config configs/cifar10_hold.yaml --device cuda:0 \
    --ckpt "$ckpt" --sampler lt --nfe 150 --n "$n_images" --batch "$n_images" --out "$out/samples_lt150" \
    > "$out/sample.log" 2>&1
  local rc=$?
  local t1; t1=$(date +%s.%N)
  note sample_rc "$rc"
  note sample_lt150_images_per_s "$("$python" -c "print(round($n_images / ($t1 - $t0), 2))")"
  note sample_peak_gpu_mib "$PEAK_MIB"
}

t_all=$(date +%s)
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader > "$out/gpu.txt" 2>&1
note gpu "$(head -1 "$out/gpu.txt")"
note torch "$("$python" -c 'import torch; print(torch.__version__, torch.version.cuda)')"
if [ "$skip_build" = 1 ] && [ -x "$build/bin/hold-train" ] || step_build; then
  step_version
  step_tests
  step_train_bench
  step_sample_bench
fi
note total_s "$(elapsed "$t_all")"
"$python" - "$results" "$out/gpu_check.json" <<'PY'
import json, sys
rows = [line.rstrip("\n").split("\t", 1) for line in open(sys.argv[1]) if "\t" in line]
json.dump({k: v for k, v in rows}, open(sys.argv[2], "w"), indent=2)
print("gpu_check: wrote", sys.argv[2])
PY
