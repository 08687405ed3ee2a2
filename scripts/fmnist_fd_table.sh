#!/usr/bin/env bash
# FD-FMNIST against the number of function evaluations for one trained
# Fashion-MNIST model (issue 13 item 5; docs/evaluation.md "FD-FMNIST"):
#
#   bash scripts/fmnist_fd_table.sh CONFIG CKPT OUT [N] ["NFES"] ["SAMPLERS"] [THREADS]
#   e.g. bash scripts/fmnist_fd_table.sh configs/fmnist_hold.yaml runs/fmnist_hold/checkpoints/latest.pt \
#            runs/fd_hold 1000 "10 20 30 50 150" "lt em ei"
#
# A sampler may carry options after a colon, comma-separated key=value pairs
# passed as hold-sample flags: "ei:frame=r" runs --sampler ei --frame r,
# "ei:frame=x,order=2" adds --order 2 (its cells: OUT/ei-frame=r_<nfe>).
#
# For every sampler and NFE: N samples (hold-sample --seed 0, so every cell
# draws the same noise), their FD-FMNIST against the test set's statistics,
# and the wall time per sample. Finished cells are kept (OUT/<sampler>_<nfe>/fd.txt),
# so an interrupted run continues. Prints a Markdown table. FD depends on N:
# compare cells at the same N only (10,000 is the reference size).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 3 ]; then sed -n 2,13p "$0" >&2; exit 2; fi
CONFIG=$1 CKPT=$2 OUT=$3 N=${4:-1000} NFES=${5:-"10 20 30 50 150"} SAMPLERS=${6:-"lt em ei"} THREADS=${7:-0}
BIN=${BIN:-build/bin}
for f in "$CONFIG" "$CKPT" assets/fd_fmnist/extractor.pt assets/fd_fmnist/test_stats.npz; do
  [ -f "$f" ] || { echo "error: no file $f" >&2; exit 2; }
done
mkdir -p "$OUT"
# "name:k=v,k2=v2" -> the cell's name "name-k=v-k2=v2" and the flags for hold-sample.
cell_name() { printf '%s' "$1" | tr ':,' '--'; }
sampler_flags() {
  local spec=$1 kv
  printf -- '--sampler %s' "${spec%%:*}"
  [ "$spec" = "${spec#*:}" ] && return
  for kv in $(printf '%s' "${spec#*:}" | tr ',' ' '); do printf -- ' --%s %s' "${kv%%=*}" "${kv#*=}"; done
}
for s in $SAMPLERS; do
  for n in $NFES; do
    cell="$OUT/$(cell_name "$s")_$n"
    [ -f "$cell/fd.txt" ] && continue
    start=$(date +%s.%N)
    # shellcheck disable=SC2046  # the flags are words by design
    "$BIN/hold-sample" --config "$CONFIG" --ckpt "$CKPT" $(sampler_flags "$s") --nfe "$n" --n "$N" --seed 0 \
      --threads "$THREADS" --out "$cell" > "$cell.log" 2>&1 || { echo "error: hold-sample failed, see $cell.log" >&2; exit 1; }
    seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
    fd=$("$BIN/hold-fid" score "$cell/samples.npz" assets/fd_fmnist/test_stats.npz \
      --extractor assets/fd_fmnist/extractor.pt --threads "$THREADS" | sed -n 's/^fid: //p')
    used=$(sed -n 's/^nfe: //p' "$cell.log" | tail -1)
    printf '%s %s %s\n' "$fd" "$seconds" "${used:-$n}" > "$cell/fd.tmp" && mv "$cell/fd.tmp" "$cell/fd.txt"
    echo "$s $n: FD-FMNIST $fd, $(awk -v a="$seconds" -v n="$N" 'BEGIN { printf "%.3f", a / n }') s per sample" >&2
  done
done
printf '| sampler |'; for n in $NFES; do printf ' %s NFE |' "$n"; done; printf '\n|---|'
for n in $NFES; do printf -- '---:|'; done; printf '\n'
for s in $SAMPLERS; do
  printf '| %s |' "$s"
  for n in $NFES; do
    read -r fd seconds used < "$OUT/$(cell_name "$s")_$n/fd.txt"
    printf ' %.2f (%s s) |' "$fd" "$(awk -v a="$seconds" -v n="$N" 'BEGIN { printf "%.3f", a / n }')"
  done
  printf '\n'
done
echo "(FD-FMNIST of $N samples vs the 10,000 test images; in brackets the wall time per sample)"
