#!/usr/bin/env bash
# Checks that every tracked .cc and .h file is formatted as .clang-format says (clang-format 14,
# Debian 12's). Lists each file that differs and exits 1; exits 0 when all match; exits 77
# (ctest: skipped) where it cannot judge: not a git checkout, no clang-format, another version.
#
#   scripts/check-format.sh [SOURCE_DIR]    check (default: this repository)
#   scripts/check-format.sh --fix           reformat every tracked .cc/.h file in place
# Run by ctest as format.check (label unit) and early by scripts/test.sh.
set -euo pipefail
fix=0
if [[ ${1:-} == --fix ]]; then fix=1; shift; fi
src=${1:-$(dirname "$0")/..}
cd "$src"

if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "format check skipped: $(pwd) is not a git checkout (the check covers the files git tracks)"
  exit 77
fi
clang_format=$(command -v clang-format-14 || command -v clang-format || true)
if [[ -z $clang_format ]]; then
  echo "format check skipped: no clang-format (Debian package clang-format; scripts/packages.sh installs it)"
  exit 77
fi
version=$("$clang_format" --version)
if [[ ! $version =~ version\ 14\. ]]; then
  # Other versions lay out some code differently; the tree is formatted with Debian 12's.
  echo "format check skipped: $clang_format is not clang-format 14 ($version)"
  exit 77
fi

mapfile -d '' files < <(git ls-files -z -- '*.cc' '*.h')
if ((fix)); then
  "$clang_format" -i --style=file -- "${files[@]}"
  exit 0
fi
# One run over all files; its diagnostics name the files that differ ("file:line:col: error: ...").
rc=0
out=$("$clang_format" --dry-run --Werror --style=file -- "${files[@]}" 2>&1) || rc=$?
mapfile -t bad < <(sed -n 's/^\(.*\):[0-9]*:[0-9]*: error: .*/\1/p' <<<"$out" | uniq)
if ((rc != 0 && ${#bad[@]} == 0)); then
  echo "format check: $clang_format failed:"
  echo "$out"
  exit 1
fi
if ((${#bad[@]})); then
  echo "${#bad[@]} of ${#files[@]} files differ from .clang-format (fix: scripts/check-format.sh --fix):"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "formatting: ${#files[@]} files match .clang-format"
