#!/usr/bin/env bash
# clang-tidy (checks in .clang-tidy) over every C++ source of the project
# that the build compiles (compile_commands.json of --build DIR, default
# build/), in parallel.  Exits 1 on any finding.  The BPF program is C for
# -target bpf and is not in compile_commands.json; generated headers and
# system headers are not checked.
# Usage: tools/tidy.sh [--build DIR] [--jobs N] [FILE...]
set -euo pipefail
cd "$(dirname "$0")/.."
build=build jobs=$(nproc)
source tools/lib/harness.sh
hx_options 2,7p build=build jobs=jobs -- "$@"
files=("${HX_ARGS[@]}")
[[ -f $build/compile_commands.json ]] || { echo "tools/tidy.sh: $build/compile_commands.json not found: build first (tools/build.sh)" >&2; exit 2; }
command -v run-clang-tidy >/dev/null || { echo "tools/tidy.sh: run-clang-tidy not found (tools/deps.sh installs clang-tidy)" >&2; exit 2; }
# Generated headers (the BPF skeleton) must exist before analysis.
ninja -C "$build" >/dev/null

if ((${#files[@]} == 0)); then
  # Every project source in the compile database (not build-dir generated ones).
  mapfile -t files < <(python3 -c '
import json, os, sys
src = os.path.realpath(".")
seen = set()
for e in json.load(open(sys.argv[1])):
    f = os.path.realpath(os.path.join(e["directory"], e["file"]))
    if f.startswith(src + "/") and f.endswith(".cpp") and "/build" not in f[len(src):] and f not in seen:
        seen.add(f); print(f)
' "$build/compile_commands.json")
fi
start=$SECONDS
log=$(mktemp /tmp/ebt-tidy.XXXXXX)
trap 'rm -f "$log"' EXIT
rc=0
run-clang-tidy -quiet -p "$build" -j "$jobs" "${files[@]}" >"$log" 2>&1 || rc=$?
# Findings only (run-clang-tidy also echoes each command line), without
# colour codes; a header finding is reported once, not once per includer.
findings=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' |
  sed -E "s|^(.*/)?\.\./||; s|^$PWD/||" | sort -u || true)
n=0
if [[ -n $findings ]]; then
  echo "$findings"
  n=$(echo "$findings" | wc -l)
  echo "tidy: findings per check:"
  echo "$findings" | sed -E 's/.*\[([^],]*)[^]]*\]$/\1/' | sort | uniq -c | sort -rn
  echo "tidy: findings per file:"
  echo "$findings" | cut -d: -f1 | sort | uniq -c | sort -rn
fi
echo "tidy: ${#files[@]} files, $n findings, $((SECONDS - start)) s"
if ((rc != 0 || n != 0)); then
  ((n != 0)) || tail -40 "$log"
  exit 1
fi
