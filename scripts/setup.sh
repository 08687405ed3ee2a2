#!/usr/bin/env bash
# Installs what hold needs on Debian 12: the build tools and libraries from
# Debian's packages, and LibTorch as the pinned PyPI `torch` wheel (a CUDA
# build: headers, libraries and CMake package) in a virtual environment that
# this script creates and reuses. Non-interactive; safe to re-run (does
# nothing when everything is present). Prints nothing else on stdout but,
# with --print-python, the environment's Python (scripts/build.sh uses it).
set -euo pipefail
cd "$(dirname "$0")/.."

# The LibTorch we build against. Bump here and nowhere else.
TORCH_VERSION=2.15.0
# One environment per pinned version, outside the checkout so that clones
# (CI's among them) share it; HOLD_VENV overrides.
HOLD_VENV=${HOLD_VENV:-${XDG_DATA_HOME:-$HOME/.local/share}/hold/venv-torch-$TORCH_VERSION}

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  python3 python3-venv python3-pip
  libcli11-dev libyaml-cpp-dev libstb-dev catch2 zlib1g-dev nlohmann-json3-dev
  libzip-dev              # npz files (lib/io/npz.cpp)
  libgloo-dev             # torch's ProcessGroupGloo.hpp includes gloo's headers, which the wheel lacks
  dataset-fashion-mnist
  clang-format clang-tidy # the tests check the formatting; scripts/tidy.sh lints lib/
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y -qq "${missing[@]}" </dev/null >&2
fi

py="$HOLD_VENV/bin/python"
if ! "$py" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH_VERSION')" 2>/dev/null; then
  echo "setup: installing torch==$TORCH_VERSION (LibTorch with CUDA) into $HOLD_VENV" >&2
  mkdir -p "$(dirname "$HOLD_VENV")"
  [ -x "$py" ] || python3 -m venv "$HOLD_VENV" >&2
  "$py" -m pip install --quiet --disable-pip-version-check "torch==$TORCH_VERSION" </dev/null >&2
fi

if [ "${1:-}" = "--print-python" ]; then echo "$py"; fi
