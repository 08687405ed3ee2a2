#!/usr/bin/env bash
# Training iterations per second, and the share of a step spent outside the
# network's forward/backward and the optimiser, for
#   1. configs/fmnist_hold.yaml (batch 64, Fashion-MNIST, the small NCSN++);
#   2. the CIFAR-10 network (configs/cifar10_hold.yaml: NCSN++ deep, 107.6M
#      parameters) at batch 2, on synthetic CIFAR-10 files (random pixels: the
#      cost does not depend on them), with matmul and with 1x1-conv dense layers.
#   scripts/bench_train.sh [--threads N]   (default: 2)
# Needs the bench-train target (bench/), built into $BUILD_DIR (default build).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/find_tool.sh
source "$(dirname "$0")/find_tool.sh"
bin=$(find_tool bench-train)
threads=2
[[ ${1:-} == --threads ]] && threads=$2

"$(find_tool hold-train)" --version | grep -E '^(LibTorch|BLAS|OpenMP)'
echo "== fmnist_hold (batch 64)"
"$bin" --threads "$threads" --config configs/fmnist_hold.yaml --warmup 5 --block 10 --steps 40 \
  --set train.sample_every=0

fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT
for b in 1 2 3 4 5; do
  for _ in $(seq 4); do printf '\000'; head -c 3072 /dev/urandom; done > "$fake/data_batch_$b.bin"
done
for dense in matmul conv; do
  echo "== cifar10_hold network at batch 2, model.dense=$dense"
  "$bin" --threads "$threads" --config configs/cifar10_hold.yaml --warmup 2 --block 2 --steps 6 \
    --set data.path="$fake" --set train.batch_size=2 --set train.sample_every=0 --set model.dense=$dense \
    --set device=cpu
done
