#!/usr/bin/env bash
# The main job: installs what is missing, builds, trains the 2-D multi-swiss-roll
# HOLD demo, samples it with the Lie-Trotter sampler, and writes the plot.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
RUN=${RUN:-runs/swissroll_hold}
CONFIG=${CONFIG:-configs/toy_swissroll_hold.yaml}
start=$(date +%s)
./build/bin/hold-train --config "$CONFIG" --workdir "$RUN" --resume
./build/bin/hold-sample --config "$CONFIG" --ckpt "$RUN/checkpoints/latest.pt" \
  --sampler lt --nfe 150 --n 2000 --out "$RUN/samples_lt150" --metrics
echo "quickstart: done in $(( $(date +%s) - start )) s"
echo "quickstart: plot written to $RUN/samples_lt150/samples.png"
