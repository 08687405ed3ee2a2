#!/usr/bin/env bash
# Configures and builds hold (Release) into ./build with all cores, against
# the LibTorch of the torch wheel that scripts/setup.sh installed (HOLD_PYTHON
# overrides: any Python whose torch is a LibTorch >= 2.11).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
HOLD_PYTHON=${HOLD_PYTHON:-$(bash scripts/setup.sh --print-python)}
# Relative paths in ccache keys: another checkout (CI's clone) reuses the cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(pwd)}
GENERATOR=()
command -v ninja >/dev/null && GENERATOR=(-G Ninja)
[ -f "$BUILD_DIR/CMakeCache.txt" ] ||
  cmake -S . -B "$BUILD_DIR" "${GENERATOR[@]}" -DCMAKE_BUILD_TYPE=Release -DHOLD_PYTHON="$HOLD_PYTHON" "$@"
cmake --build "$BUILD_DIR" -j "$(nproc)"
