#!/usr/bin/env bash
# Installs what hold needs on Debian 12, from Debian's packages only.
# Non-interactive; safe to re-run (does nothing when everything is present).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libtorch-dev            # LibTorch (CPU) and its CMake package
  libopenblas0-openmp     # Debian's LibTorch uses libblas.so.3: OpenBLAS is 20-60x faster than netlib
  libgloo-dev             # torch's distributed headers include gloo's
  libcli11-dev libyaml-cpp-dev libspdlog-dev libstb-dev catch2 zlib1g-dev nlohmann-json3-dev
  dataset-fashion-mnist
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
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${missing[@]}" </dev/null
fi
