#!/usr/bin/env bash
# Measures the FD-FMNIST validation table of docs/evaluation.md ("FD-FMNIST"):
# the distance of Fashion-MNIST's train images, of a split of its test images
# and of noised and blurred test images (scripts/fd_fmnist_corrupt.py) to the
# committed test statistics, through the committed extractor.
#   bash scripts/fd_fmnist_validate.sh [WORKDIR]     (default runs/fd_fmnist_validate)
# HOLD_FID (default build/bin/hold-fid) and HOLD_PYTHON (default: setup.sh's
# venv) pick the tools; THREADS (default 2) is passed as --threads. Prints one
# line per row: what, images, FD-FMNIST.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${1:-runs/fd_fmnist_validate}
PY=${HOLD_PYTHON:-$(bash scripts/setup.sh --print-python)}
FID=${HOLD_FID:-build/bin/hold-fid}
THREADS=${THREADS:-2}
EXTRACTOR=assets/fd_fmnist/extractor.pt
REFERENCE=assets/fd_fmnist/test_stats.npz
NOISE=(0.02 0.05 0.1 0.2 0.4)
BLUR=(0.5 1 1.5 2)

mkdir -p "$WORK"
"$PY" -W ignore scripts/fd_fmnist_corrupt.py --out "$WORK/images" \
  --noise "$(IFS=,; echo "${NOISE[*]}")" --blur "$(IFS=,; echo "${BLUR[*]}")" >/dev/null
if [ ! -f "$WORK/train_stats.npz" ]; then
  "$FID" stats --config configs/fmnist_hold.yaml --split train --extractor "$EXTRACTOR" --threads "$THREADS" \
    --out "$WORK/train_stats.npz" 2>/dev/null >/dev/null
fi
score() {
  "$FID" score "$1" "$2" --extractor "$EXTRACTOR" --threads "$THREADS" 2>/dev/null | sed -n 's/^fid: //p'
}
row() { printf '%-34s %6s  %s\n' "$1" "$2" "$3"; }
row "what (vs test statistics)" images FD-FMNIST
row "test (the reference itself)" 10000 "$(score "$WORK/images/test.npz" "$REFERENCE")"
row "train" 60000 "$(score "$WORK/train_stats.npz" "$REFERENCE")"
row "test[:5000] vs test[5000:]" 5000 "$(score "$WORK/images/test_a.npz" "$WORK/images/test_b.npz")"
for s in "${NOISE[@]}"; do
  row "test + noise sigma $s" 10000 "$(score "$WORK/images/noise_$s.npz" "$REFERENCE")"
done
for s in "${BLUR[@]}"; do
  row "test, Gaussian blur std $s px" 10000 "$(score "$WORK/images/blur_$s.npz" "$REFERENCE")"
done
