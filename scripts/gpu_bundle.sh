#!/usr/bin/env bash
# Packs the build dependencies that are not part of a PyTorch install
# (yaml-cpp, CLI11, stb, Catch2, zlib, nlohmann-json, gloo's headers) as
# Debian 12 packages unpacked into one folder, for scripts/gpu_check.sh on a
# GPU machine with no network. About 3 MB packed (the limit there: 64 MiB).
#   scripts/gpu_bundle.sh [DIR]   (default: gpu-deps; git-ignored)
# Needs apt (a Debian 12 machine, like this project's build machines).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-gpu-deps}
PACKAGES=(libyaml-cpp-dev libyaml-cpp0.7 libcli11-dev libstb-dev libstb0 catch2 zlib1g-dev zlib1g
          nlohmann-json3-dev libgloo-dev)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download "${PACKAGES[@]}" >/dev/null 2>&1) || {
  [ "$(id -u)" -eq 0 ] && apt-get update -qq >/dev/null && (cd "$work" && apt-get download "${PACKAGES[@]}" >/dev/null)
}
rm -rf "$out"
mkdir -p "$out/root"
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$out/root"; done
# Debian's -dev symlinks point at absolute /lib paths in places: make them relative.
find "$out/root" -type l | while read -r link; do
  target=$(readlink "$link")
  case "$target" in
    /*) [ -e "$out/root$target" ] && ln -sfn "$(realpath --relative-to="$(dirname "$link")" "$out/root$target")" "$link" ;;
  esac
done
rm -rf "$out/root/usr/share/doc" "$out/root/usr/share/man" "$out/root/usr/share/lintian"
printf '%s\n' "${PACKAGES[@]}" > "$out/PACKAGES"
echo "gpu_bundle: $(du -sh "$out" | cut -f1) in $out ($(wc -l < "$out/PACKAGES") Debian packages)"
