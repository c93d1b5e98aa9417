#!/usr/bin/env bash
# Installs what is missing, builds into build/, runs every test (unit,
# BPF and integration) with meson test.  Exits non-zero on any failure.
# This is the command CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $EUID -ne 0 ]]; then
  echo "tools/test.sh: run as root (sudo tools/test.sh): the tests load XDP programs and make network namespaces" >&2
  exit 2
fi

tools/deps.sh
tools/build.sh
meson test -C build --print-errorlogs --num-processes 1 "$@"
