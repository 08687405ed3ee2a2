#!/usr/bin/env bash
# Configures and builds hold (Release) into ./build with all cores, against
# the LibTorch of the torch wheel that scripts/setup.sh installed (HOLD_PYTHON
# overrides: any Python whose torch is a LibTorch >= 2.11).
#
# Options from the environment: BUILD_DIR (default build) picks the build
# folder; each of these variables that is set is passed to CMake as -D<name>=<value>,
# on a fresh build folder and on an existing one alike (configure re-runs, it
# is cheap; an empty value sets the option empty, e.g. HOLD_SANITIZE= turns the
# sanitizers off again):
#   HOLD_WERROR=ON                  warnings in our code are errors (scripts/test.sh sets it)
#   HOLD_SANITIZE=address,undefined ASan and/or UBSan (docs/troubleshooting.md, Sanitizers)
#   HOLD_BUILD_TESTS, HOLD_BUILD_BENCH, HOLD_WITH_NCCL, CMAKE_BUILD_TYPE, CMAKE_CXX_FLAGS
# Arguments (e.g. -DHOLD_BUILD_BENCH=OFF) are passed to CMake the same way.
# e.g.  BUILD_DIR=build-asan HOLD_SANITIZE=address,undefined bash scripts/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
HOLD_PYTHON=${HOLD_PYTHON:-$(bash scripts/setup.sh --print-python)}
# Relative paths in ccache keys: another checkout (CI's clone) reuses the cache.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$(pwd)}
OPTIONS=()
for name in HOLD_WERROR HOLD_SANITIZE HOLD_BUILD_TESTS HOLD_BUILD_BENCH HOLD_WITH_NCCL CMAKE_BUILD_TYPE CMAKE_CXX_FLAGS; do
  if [ -n "${!name+set}" ]; then OPTIONS+=("-D$name=${!name}"); fi
done
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  GENERATOR=()
  command -v ninja >/dev/null && GENERATOR=(-G Ninja)
  cmake -S . -B "$BUILD_DIR" "${GENERATOR[@]}" -DCMAKE_BUILD_TYPE=Release -DHOLD_PYTHON="$HOLD_PYTHON" \
    "${OPTIONS[@]}" "$@"
elif [ ${#OPTIONS[@]} -gt 0 ] || [ $# -gt 0 ]; then
  cmake -S . -B "$BUILD_DIR" "${OPTIONS[@]}" "$@"
fi
cmake --build "$BUILD_DIR" -j "$(nproc)"
