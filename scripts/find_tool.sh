# Sourced by the scripts: `bin=$(find_tool NAME)` prints the path of a built
# hold tool or benchmark under $BUILD_DIR (default: build, relative to the
# repository), or exits 2 with how to build it.
find_tool() {
  local root build bin
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  build=${BUILD_DIR:-build}
  [[ $build == /* ]] || build="$root/$build"
  bin="$build/bin/$1"
  if [[ ! -x $bin ]]; then
    echo "error: $bin not found; build it: cmake --build $build --target $1" >&2
    exit 2
  fi
  echo "$bin"
}
