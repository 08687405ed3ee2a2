#!/usr/bin/env bash
# Formats every C++ file of the tree with .clang-format (clang-format 14,
# Debian's clang-format). --check: change nothing, list the files that differ
# and fail if any does (the tests run this).
set -euo pipefail
cd "$(dirname "$0")/.."
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.cpp' '*.h' 2>/dev/null || find lib apps tests -name '*.cpp' -o -name '*.h')
if [ "${1:-}" = "--check" ]; then
  bad=0
  for f in "${files[@]}"; do
    if ! "$CLANG_FORMAT" "$f" | cmp -s - "$f"; then echo "not formatted: $f (bash scripts/format.sh)"; bad=1; fi
  done
  exit $bad
fi
"$CLANG_FORMAT" -i "${files[@]}"
