#!/usr/bin/env bash
# Starts N processes of a hold command on this machine, torchrun-style:
#   scripts/launch_local.sh N build/bin/hold-train --config configs/fmnist_hold.yaml
# Each process gets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR=127.0.0.1 and
# MASTER_PORT (from the environment, else a port derived from this shell's
# PID). Waits for all of them; when one fails, the others are stopped and the
# script exits with that process's status. On a CPU machine each process gets
# an equal share of the cores (--threads is added unless given).
set -uo pipefail
if [ $# -lt 2 ] || ! [[ "$1" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 N COMMAND [ARGS...]" >&2
  exit 2
fi
n=$1
shift
export WORLD_SIZE=$n MASTER_ADDR=${MASTER_ADDR:-127.0.0.1} MASTER_PORT=${MASTER_PORT:-$((20000 + $$ % 30000))}
threads=()
if [[ " $* " != *" --threads "* ]]; then
  per=$(( $(nproc) / n ))
  threads=(--threads $(( per > 0 ? per : 1 )))
fi

pids=()
for ((r = 0; r < n; r++)); do
  RANK=$r LOCAL_RANK=$r "$@" "${threads[@]}" &
  pids+=($!)
done

status=0
remaining=$n
while [ "$remaining" -gt 0 ]; do
  wait -n -p done_pid
  code=$?
  remaining=$((remaining - 1))
  if [ "$code" -ne 0 ] && [ "$status" -eq 0 ]; then
    status=$code
    echo "launch_local: process $done_pid exited with status $code; stopping the others" >&2
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  fi
done
exit "$status"
