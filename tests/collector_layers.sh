#!/bin/sh
# Keeps the collector's layers: no #include in collector/ runs from a lower layer to a higher one.
#
#   store <- evaluation <- ingest <- serving <- collector/ itself (the wiring: collector.cc, main.cc)
#
# A file may include its own layer and the ones to its left. A new folder under collector/ must
# be given its place below. Prints `file:line: problem` for every violation and exits 1.
#
# Usage: collector_layers.sh SOURCE_DIR
set -eu
cd "${1:?usage: collector_layers.sh SOURCE_DIR}"
find collector -name '*.h' -o -name '*.cc' | sort | while IFS= read -r f; do
  # Every file, so that one in an unknown folder is reported even without includes.
  echo "$f:0:"
  grep -n '^#include "collector/' "$f" | sed "s|^|$f:|"
done | awk -F: '
  function rank(path) {
    if (path ~ /^collector\/store\//) return 0
    if (path ~ /^collector\/evaluation\//) return 1
    if (path ~ /^collector\/ingest\//) return 2
    if (path ~ /^collector\/serving\//) return 3
    if (path ~ /^collector\/[^\/]+$/) return 4
    return -1
  }
  {
    file = $1; line = $2
    if (rank(file) < 0) {
      if (!(file in told)) print file ":1: this folder is not a layer tests/collector_layers.sh knows; give it a place there"
      told[file] = 1; bad = 1; next
    }
    if (line == 0) next
    target = $3; sub(/^#include "/, "", target); sub(/".*/, "", target)
    if (rank(target) < 0 || rank(target) > rank(file)) {
      print file ":" line ": includes " target ", a layer above its own (store <- evaluation <- ingest <- serving <- collector)"
      bad = 1
    }
  }
  END {
    if (bad) exit 1
    print "collector layers: every include runs down"
  }'
