#!/usr/bin/env bash
# A sampler's total time over the time of the same number of bare network calls
# (toy MLP, batch 512, 150 NFE; target <= 1.05 for em and lt), for hold, cld, vp.
#   scripts/bench_sampling.sh [extra bench-sampling flags, e.g. --threads 1]
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/find_tool.sh
source "$(dirname "$0")/find_tool.sh"
bin=$(find_tool bench-sampling)
"$(find_tool hold-inspect)" --version | grep -E '^(LibTorch|BLAS|OpenMP)'
for sde in hold cld vp; do
  "$bin" --sde "$sde" "$@"
done
