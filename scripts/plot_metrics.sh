#!/usr/bin/env bash
# Plots a training run's curves (loss, grad_norm, lr vs step) from
# RUN_DIR/metrics.jsonl into RUN_DIR/loss.png.
#   scripts/plot_metrics.sh runs/swissroll_hold
set -euo pipefail
if [[ $# -ne 1 ]]; then
  echo "usage: $0 RUN_DIR" >&2
  exit 2
fi
run_dir=${1%/}
# No cd: RUN_DIR is relative to the caller.
# shellcheck source=scripts/find_tool.sh
source "$(dirname "$0")/find_tool.sh"
bin=$(find_tool hold-inspect)
"$bin" --plot-metrics "$run_dir/metrics.jsonl" --out "$run_dir/loss.png"
