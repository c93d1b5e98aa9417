#!/usr/bin/env bash
# Runs every libFuzzer target in a fuzz build for a time budget, two at a
# time (or --jobs N), each from its committed seed corpus
# (tests/fuzz/corpus/<target>/) copied to a scratch directory.  Exits 1 if
# any target reports a crash, leak, timeout or sanitizer error; the input
# that did it is kept under the artifacts directory and named in the output:
# add it to tests/fuzz/corpus/<target>/ (it becomes a regression test there,
# replayed by `meson test -C BUILD`) and fix the bug.
#
# Usage: tools/fuzz.sh [--build DIR] [--time SECONDS] [--jobs N] [--artifacts DIR] [TARGET...]
#   --build DIR  a build configured with CC=clang CXX=clang++ -Dfuzz=true
#                -Db_sanitize=address,undefined (default build-fuzz; made if missing)
#   --time S     seconds per target (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-fuzz time_s=60 jobs=2 artifacts=""
source tools/lib/harness.sh
hx_options 2,15p build=build time=time_s jobs=jobs artifacts=artifacts -- "$@"
targets=("${HX_ARGS[@]}")
[[ $time_s =~ ^[1-9][0-9]*$ ]] || { echo "tools/fuzz.sh: --time: expected a positive number of seconds, got '$time_s'" >&2; exit 2; }
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "tools/fuzz.sh: --jobs: expected a positive integer, got '$jobs'" >&2; exit 2; }

if [[ ! -f $build/build.ninja ]]; then
  CC=clang CXX=clang++ meson setup "$build" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
fi
if ((${#targets[@]} == 0)); then
  for d in tests/fuzz/corpus/*/; do targets+=("$(basename "$d")"); done
fi
for t in "${targets[@]}"; do
  [[ -d tests/fuzz/corpus/$t ]] || { echo "tools/fuzz.sh: no fuzz target '$t' (no tests/fuzz/corpus/$t/)" >&2; exit 2; }
done
# Only the fuzz targets (and what they link): the rest of the build is not
# needed here.
build_log=$(ninja -C "$build" "${targets[@]/#/tests/fuzz/}" 2>&1) ||
  { echo "$build_log" | grep -v '^\[' >&2; echo "tools/fuzz.sh: build failed in $build" >&2; exit 1; }
for t in "${targets[@]}"; do
  [[ -x $build/tests/fuzz/$t ]] || { echo "tools/fuzz.sh: no fuzz target '$t' in $build/tests/fuzz" >&2; exit 2; }
done

scratch=$(mktemp -d /tmp/ebt-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
[[ -n $artifacts ]] || artifacts=$build/fuzz-artifacts
mkdir -p "$artifacts"
artifacts=$(cd "$artifacts" && pwd)

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export EBT_PRESETS_DIR=$PWD/presets
# A fixed seed: CI repeats the exploration a developer already ran (so a
# green local run predicts CI); EBT_FUZZ_SEED=0 lets libFuzzer pick one.
seed=${EBT_FUZZ_SEED:-1}

run_one() {  # run_one TARGET: fuzz for time_s, log in $scratch/TARGET.log
  local t=$1
  mkdir -p "$scratch/$t"
  cp -r "tests/fuzz/corpus/$t/." "$scratch/$t/"
  "$build/tests/fuzz/$t" "$scratch/$t" \
    -max_total_time="$time_s" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -seed="$seed" \
    -artifact_prefix="$artifacts/$t-" >"$scratch/$t.log" 2>&1
}

declare -A pid_of=()
failed=()
start=$SECONDS
for t in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
  run_one "$t" & pid_of[$t]=$!
done
for t in "${targets[@]}"; do
  rc=0; wait "${pid_of[$t]}" || rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$scratch/$t.log" | grep -o '[0-9]*$' || true)
  cov=$(grep -o 'cov: [0-9]*' "$scratch/$t.log" | tail -1 || true)
  if ((rc == 0)); then
    echo "fuzz: $t: ok, ${execs:-?} runs in ${time_s}s, ${cov:-cov: ?}"
  else
    failed+=("$t")
    echo "fuzz: $t: FAILED (exit $rc); log:" >&2
    grep -v '^#[0-9]' "$scratch/$t.log" | tail -60 >&2
    ls -1 "$artifacts/$t-"* 2>/dev/null | sed 's/^/fuzz:   reproducer: /' >&2 || true
  fi
done
echo "fuzz: ${#targets[@]} targets in $((SECONDS - start)) s"
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]} (copy the reproducer into tests/fuzz/corpus/<target>/ as a regression test)" >&2
  exit 1
fi
