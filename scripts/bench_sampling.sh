#!/usr/bin/env bash
# A sampler's total time over the time of the same number of bare network calls
# (toy MLP, batch 512, 150 NFE; target <= 1.05 for em and lt), for hold, cld, vp.
#   scripts/bench_sampling.sh [extra bench-sampling flags, e.g. --threads 1]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
bin="$BUILD_DIR/bin/bench-sampling"
if [[ ! -x $bin ]]; then
  echo "error: $bin not found; build it: cmake --build $BUILD_DIR --target bench-sampling" >&2
  exit 2
fi
echo "BLAS: $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)"
for sde in hold cld vp; do
  "$bin" --sde "$sde" "$@"
done
