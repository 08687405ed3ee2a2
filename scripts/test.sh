#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (CTest).
# CI runs exactly this script: it builds with HOLD_WERROR=ON (warnings in our
# code fail the build), also in an existing build folder (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
HOLD_WERROR=${HOLD_WERROR:-ON} bash scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j "$(nproc)" --timeout 900
