#!/usr/bin/env bash
# What CI runs (.ci/run).  Installs what is missing, then, each stage
# stopping the run on its first failure:
#   plain  build/ (gcc, -Werror): every test (unit, BPF, DPDK, integration)
#   asan   build-asan/ (gcc, -Werror, ASan + UBSan halting on error): every
#          test again, the DPDK ones included
#   fuzz   build-fuzz/ (clang, libFuzzer + ASan + UBSan): each target replays
#          its committed corpus (meson test), then tools/fuzz.sh runs each
#          target for EBT_FUZZ_TIME seconds (default 60; 0 skips it)
#   tidy   tools/tidy.sh: clang-tidy (.clang-tidy) over the C++ sources
#          (opt-in for its time: --stages plain,asan,fuzz,tidy)
# After each stage's tests, tests/integration/leftovers.sh checks that they
# left nothing behind that did not exist before them (a meson time-out can
# kill a test's clean-up halfway): no testbed namespace or veth of theirs, no
# XDP/tc program that no process holds, no temporary file or directory of
# their mktemp patterns, no process of the stage's build directory.  Anything
# left fails the stage, named with how to remove it.
# Usage: tools/test.sh [--stages plain,asan,fuzz[,tidy]] [MESON-TEST-ARGS...]
#   MESON-TEST-ARGS (e.g. a test name or --suite unit) go to the plain and
#   asan stages' `meson test`.  EBT_BUILD_ROOT puts the build directories
#   somewhere else than the source tree.
# tools/test.sh turns werror on in the build directories it uses;
# tools/build.sh alone configures build/ without it.
set -euo pipefail
cd "$(dirname "$0")/.."

stages=plain,asan,fuzz   # tidy: opt-in for its time (a clean full run takes ~15-27 min on 2 cores)
if [[ "${1:-}" == --stages ]]; then
  [[ $# -ge 2 ]] || { echo "tools/test.sh: --stages: expected a list such as plain,asan" >&2; exit 2; }
  stages=$2; shift 2
fi
IFS=, read -r -a stage_list <<<"$stages"
for s in "${stage_list[@]}"; do
  case $s in plain|asan|fuzz|tidy) ;; *)
    echo "tools/test.sh: --stages: unknown stage '$s' (expected plain, asan, fuzz, tidy)" >&2; exit 2 ;;
  esac
done

if [[ $EUID -ne 0 ]]; then
  echo "tools/test.sh: run as root: the tests load XDP programs and make network namespaces" >&2
  exit 2
fi

root=${EBT_BUILD_ROOT:-.}
mkdir -p "$root"
# Timed fuzzing, 60 s per target.  It was opt-in while its first
# runs each found a new config-loader bug (fixed, inputs kept in the
# corpora); every target then ran clean for 5 minutes with CI's fixed seed
# (EBT_FUZZ_SEED=1, what CI repeats) and again with random seeds.
# EBT_FUZZ_TIME=0 skips it; the corpus replay always runs.
fuzz_time=${EBT_FUZZ_TIME:-60}

tools/deps.sh

# configure DIR [meson setup options]: set up once, then make sure werror is on.
configure() {
  local dir=$1; shift
  if [[ ! -f $dir/build.ninja ]]; then
    meson setup "$dir" -Dwerror=true "$@"
  else
    meson configure "$dir" -Dwerror=true
  fi
}

# run_tests DIR COMMAND...: the stage's tests (COMMAND), then the leftovers
# check against a snapshot taken just before them (kept in
# DIR/meson-logs/leftovers-before.txt).  Exits 1 if either fails.
run_tests() {
  local dir=$1 rc=0
  shift
  local snap="$dir/meson-logs/leftovers-before.txt"
  mkdir -p "$dir/meson-logs"
  tests/integration/leftovers.sh snapshot "$snap"
  "$@" || rc=$?
  tests/integration/leftovers.sh check "$snap" --build "$dir" || rc=1
  if ((rc != 0)); then
    echo "=== test.sh: stage failed in $dir" >&2
    exit 1
  fi
}

declare -a timing=()
run_stage() {
  local s=$1 t0=$SECONDS
  echo "=== test.sh: stage $s"
  case $s in
    plain)
      configure "$root/build"
      ninja -C "$root/build"
      run_tests "$root/build" meson test -C "$root/build" --print-errorlogs --num-processes 1 "${test_args[@]}"
      ;;
    asan)
      configure "$root/build-asan" -Db_sanitize=address,undefined -Db_lundef=false
      ninja -C "$root/build-asan"
      run_tests "$root/build-asan" env \
        ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}" \
        UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}" \
        meson test -C "$root/build-asan" --print-errorlogs --num-processes 1 \
          --timeout-multiplier 3 "${test_args[@]}"
      ;;
    fuzz)
      CC=clang CXX=clang++ configure "$root/build-fuzz" -Dfuzz=true \
        -Db_sanitize=address,undefined -Db_lundef=false
      ninja -C "$root/build-fuzz"
      run_tests "$root/build-fuzz" fuzz_stage_tests
      ;;
    tidy)
      tools/tidy.sh --build "$root/build"
      ;;
  esac
  timing+=("$s $((SECONDS - t0)) s")
}

# The fuzz stage's tests: corpus replay, then timed fuzzing.
fuzz_stage_tests() {
  meson test -C "$root/build-fuzz" --print-errorlogs || return
  if ((fuzz_time > 0)); then
    tools/fuzz.sh --build "$root/build-fuzz" --time "$fuzz_time"
  else
    echo "test.sh: timed fuzzing skipped (EBT_FUZZ_TIME=0)"
  fi
}

test_args=("$@")
for s in "${stage_list[@]}"; do run_stage "$s"; done
echo "=== test.sh: all stages passed (${timing[*]/%/;})"
