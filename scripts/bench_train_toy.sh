#!/usr/bin/env bash
# Times one toy training iteration (batch 512, 5-layer MLP, bcsm on third-order
# HOLD, 2-D data, Adam, EMA) with 1 and 2 threads, and its parts.
#   scripts/bench_train_toy.sh [extra bench-train flags, e.g. --steps 2000]
# Needs the bench-train target (bench/), built into $BUILD_DIR (default build).
#
# The network's GEMMs dominate; the wheel's LibTorch runs them with the BLAS
# that --version names (MKL), whatever OPENBLAS_CORETYPE says.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/find_tool.sh
source "$(dirname "$0")/find_tool.sh"
bin=$(find_tool bench-train)
"$(find_tool hold-train)" --version | grep -E '^(LibTorch|BLAS|OpenMP)'
for threads in 1 2; do
  "$bin" --threads "$threads" "$@"
done
