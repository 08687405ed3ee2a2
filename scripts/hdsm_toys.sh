#!/usr/bin/env bash
# Issue 15's toy study: first- vs high-order DSM on the 1-D mixture and the
# checkerboard, for ve and hold, several seeds, same steps. For each config
# and seed: train (resumable), the ODE's nats/dim on fresh draws (exact trace,
# the same points for every run: --seed of hold-nll fixed) and its density on
# a grid; then a table of mean ± spread over the seeds (docs/results.md).
#   bash scripts/hdsm_toys.sh [STEPS] [SEEDS] [OUT]      (defaults 5000, "0 1 2", runs/hdsm_toys)
# Environment: CONFIGS (config names without .yaml) picks a subset; THREADS (1).
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${1:-5000}
SEEDS=${2:-0 1 2}
OUT=${3:-runs/hdsm_toys}
THREADS=${THREADS:-1}
CONFIGS=${CONFIGS:-toy_gmm1d_ve_dsm toy_gmm1d_ve_hdsm2 toy_gmm1d_ve_hdsm3 toy_gmm1d_hold_dsm toy_gmm1d_hold_hdsm2
  toy_gmm1d_hold_hdsm3 toy_checkerboard_ve_dsm toy_checkerboard_ve_hdsm3 toy_checkerboard_hold_dsm
  toy_checkerboard_hold_hdsm3}
BIN=build/bin
mkdir -p "$OUT"
for name in $CONFIGS; do
  config=configs/$name.yaml
  case $name in *gmm1d*) points=1000 grid=200 ;; *) points=500 grid=50 ;; esac
  for seed in $SEEDS; do
    dir=$OUT/${name}_s$seed
    start=$(date +%s)
    "$BIN/hold-train" --config "$config" --seed "$seed" --threads "$THREADS" --max-steps "$STEPS" \
      --workdir "$dir" --resume > "$dir.train.log" 2>&1 || { echo "train failed: $dir (see $dir.train.log)"; exit 1; }
    # The time of the run that trained it (a finished run resumed trains nothing).
    [ -f "$dir/train_seconds" ] || echo $(( $(date +%s) - start )) > "$dir/train_seconds"
    ckpt=$dir/checkpoints/latest.pt
    # Evaluated once per checkpoint: a rerun of the script only adds what is missing.
    [ "$dir/nll.json" -nt "$ckpt" ] || "$BIN/hold-nll" --config "$config" --ckpt "$ckpt" --seed 1000 --threads "$THREADS" --exact-trace \
      --n "$points" --json "$dir/nll.json" --per-point "$dir/nll_points.npz" > "$dir.nll.log" 2>&1
    [ "$dir/grid/grid.npz" -nt "$ckpt" ] || "$BIN/hold-nll" --config "$config" --ckpt "$ckpt" --seed 1000 --threads "$THREADS" --exact-trace \
      --grid "$grid" --out "$dir/grid" > "$dir.grid.log" 2>&1
    echo "$name seed $seed: train $(cat "$dir/train_seconds") s, $(tail -n 1 "$dir.nll.log")"
  done
done
python3 scripts/hdsm_toys_table.py "$OUT" $CONFIGS
