#!/usr/bin/env bash
# The quick test (presets/quick_test.yaml), end to end on one box: installs what is missing,
# builds, brings up the two-namespace testbed, runs xdp-recv in the
# destination namespace and dpdk-gen (net_af_packet on the veth) in the
# source namespace with the quick_test preset shortened to 10 s, prints the
# summary and the results paths, draws the test against time
# (tools/plot/timeseries.py, when gnuplot is there), and tears the testbed down.
#
#   tools/demo.sh [dpdk-gen options...]     (as root, or with sudo)
#
# Any dpdk-gen option may be given, in any order (--duration S, --rate R,
# --name N, --results-dir DIR, ...; `--opt value` or `--opt=value`).  The
# user's options win: the script adds its own defaults only for options not
# given, namely --preset quick_test (not with --preset or --config),
# --duration 10 (not with --duration, --count, --preset or --config),
# --dst-ip (the testbed's receiver), --results-dir ./results of the
# repository, and --token-file (a fresh secret).  xdp-recv gets the same
# --results-dir, --token-file and --control-port, so both sides' results
# land under one results directory.  Relative paths are taken from the
# directory the script is started in.
#
# Environment:
#   EBT_BUILD_DIR=DIR   use the programs already built in DIR (DIR/generator/
#                       dpdk-gen, DIR/receiver/xdp-recv): no package install,
#                       no build (the tests run the demo this way)
#   EBT_TESTBED=P       the testbed's prefix (default ebt-demo; see
#                       tools/testbed.sh)
#   TMPDIR              where the demo keeps its logs while it runs (default /tmp)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/tools/lib/harness.sh"

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

# dpdk-gen's options that take no value (generator/main.cpp); every other
# option takes one, as the next argument or after '='.
SWITCHES=" no-coordination dry-run verbose quiet stats-json pcap-stamp help "
declare -A GIVEN=()
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  a=${args[i]}
  case "$a" in
    -h | --help) usage; exit 0 ;;
    --?*=*) name=${a%%=*}; GIVEN[${name#--}]=${a#*=} ;;
    --?*)
      name=${a#--}
      if [[ "$SWITCHES" == *" $name "* ]]; then
        GIVEN[$name]=1
      else
        GIVEN[$name]=${args[i + 1]-}
        i=$((i + 1))
      fi ;;
    *) ;;  # dpdk-gen names what it does not take
  esac
done
given() { [[ -n "${GIVEN[$1]+set}" ]]; }

if [[ $EUID -ne 0 ]]; then
  echo "tools/demo.sh: run as root (or with sudo): it makes network namespaces and loads XDP" >&2
  exit 2
fi

# The build: ninja's "[n/N] ..." lines as one refreshed line on a terminal,
# silent otherwise; the whole output goes to a log, shown on failure.
build_progress() {
  local cols line
  cols=$(stty size </dev/tty 2>/dev/null | cut -d' ' -f2) || true
  [[ "$cols" =~ ^[0-9]+$ ]] && ((cols >= 20)) || cols=80
  printf 'build: ...'
  while IFS= read -r line; do
    case "$line" in
      "The Meson build system"*) line="build: configuring (meson setup build)" ;;
      \[[0-9]*/[0-9]*\]\ *) line="build: $line" ;;
      *) continue ;;
    esac
    printf '\r\033[K%s' "${line:0:cols-1}"
  done
  printf '\r\033[K'
}
install_and_build() {
  "$ROOT/tools/deps.sh"
  local build_log build_rc steps
  build_log=$(mktemp -t ebt-build.XXXXXX)
  set +e
  if [[ -t 1 ]]; then
    "$ROOT/tools/build.sh" 2>&1 | tee "$build_log" | build_progress
    build_rc=${PIPESTATUS[0]}
  else
    "$ROOT/tools/build.sh" >"$build_log" 2>&1
    build_rc=$?
  fi
  set -e
  if ((build_rc != 0)); then
    cat "$build_log" >&2
    echo "demo: build failed (exit $build_rc); the log: $build_log" >&2
    exit 1
  fi
  steps=$(grep -c '^\[[0-9]*/[0-9]*\] ' "$build_log" || true)
  rm -f "$build_log"
  if ((steps > 0)); then echo "build: ok ($steps steps)"; else echo "build: ok (up to date)"; fi
}

if [[ -n "${EBT_BUILD_DIR:-}" ]]; then
  BUILD=$(cd "$EBT_BUILD_DIR" && pwd)
  for prog in generator/dpdk-gen receiver/xdp-recv; do
    [[ -x "$BUILD/$prog" ]] || { echo "tools/demo.sh: EBT_BUILD_DIR=$EBT_BUILD_DIR: no $prog there" >&2; exit 2; }
  done
  echo "build: using $BUILD (EBT_BUILD_DIR)"
else
  BUILD="$ROOT/build"
  install_and_build
fi

hx_programs "$BUILD"
export EBT_TESTBED="${EBT_TESTBED:-ebt-demo}"
# On every exit: xdp-recv stopped, the testbed down, the logs (already shown
# if something failed) removed.
hx_traps
trap 'exit 130' INT TERM
hx_testbed_up --show

LOGDIR=$(mktemp -d -t ebt-demo.XXXXXX)
HX_CLEAN+=("$LOGDIR")
GEN_OPTS=()
given preset || given config || GEN_OPTS+=(--preset quick_test)
given duration || given count || given preset || given config || GEN_OPTS+=(--duration 10)
given dst-ip || GEN_OPTS+=(--dst-ip "$DST_IP")
if given results-dir; then
  RESULTS=${GIVEN[results-dir]}
else
  RESULTS="$ROOT/results"
  GEN_OPTS+=(--results-dir "$RESULTS")
fi
if given token-file; then
  TOKEN_FILE=${GIVEN[token-file]}
else
  # A fresh shared secret for the control connection, as on two real machines.
  TOKEN_FILE="$LOGDIR/token"
  head -c 24 /dev/urandom | base64 >"$TOKEN_FILE"
  GEN_OPTS+=(--token-file "$TOKEN_FILE")
fi
PORT=${GIVEN[control-port]:-8080}

hx_start_receiver "$LOGDIR/xdp-recv.out" "$PORT" --results-dir "$RESULTS" --once \
  --token-file "$TOKEN_FILE" --control-port "$PORT" || exit 1
echo "xdp-recv: listening in $DST_NS on $DST_IP:$PORT, XDP on $DST_IF"

set +e
hx_gen "$SRC_NS" --log-level=warning --vdev "net_af_packet0,iface=$SRC_IF" -- \
  "${GEN_OPTS[@]}" "$@" \
  2>&1 | tee "$LOGDIR/dpdk-gen.out" | grep --line-buffered -E 'INFO (sending|receiver ready|t=)|WARN|ERROR'
rc=${PIPESTATUS[0]}
set -e
# xdp-recv --once ends with the test (drain, results: a few seconds at most);
# if dpdk-gen failed before a test began, it would wait for a controller for
# ever: stopped at once then, and after 30 s in any case.
((rc == 0)) || kill -TERM "$RECV_PID" 2>/dev/null || true
for ((i = 0; i < 300; i++)); do
  kill -0 "$RECV_PID" 2>/dev/null || break
  sleep 0.1
done
kill -TERM "$RECV_PID" 2>/dev/null || true
wait "$RECV_PID" || true
RECV_PID=""

dir=$(sed -n 's/.* results: //p' "$LOGDIR/dpdk-gen.out" | tail -1)
# --quiet: stdout's one line is the results directory.
[[ -n "$dir" ]] || { dir=$(tail -n 1 "$LOGDIR/dpdk-gen.out"); [[ -f "$dir/results.json" ]] || dir=""; }
if [[ $rc -ne 0 || -z "$dir" ]]; then
  echo "demo: dpdk-gen failed (exit $rc); its output:" >&2
  cat "$LOGDIR/dpdk-gen.out" >&2
  echo "demo: xdp-recv's output:" >&2
  cat "$LOGDIR/xdp-recv.out" >&2
  exit 1
fi
rdir=$(sed -n 's/.* results: //p' "$LOGDIR/xdp-recv.out" | tail -1)
rm -rf "$LOGDIR"
result_show "$dir"
echo "  results     $(realpath -m -- "$dir")"
[[ -z "$rdir" ]] || echo "  receiver    $(realpath -m -- "$rdir")"
# The test against time, also linked from results.md; an extra, so a missing
# gnuplot or a failed plot never fails the demo.
if command -v gnuplot >/dev/null 2>&1; then
  ts_rc=0
  "$HX_PY" "$ROOT/tools/plot/timeseries.py" "$dir" >/dev/null || ts_rc=$?
  if ((ts_rc == 0)); then
    echo "  time series $(realpath -m -- "$dir")/timeseries.svg (and .png; in results.md)"
  else
    echo "demo: tools/plot/timeseries.py failed (exit $ts_rc): no time-series plot" >&2
  fi
else
  echo "  time series not drawn: gnuplot not found (apt-get install gnuplot-nox, then tools/plot/timeseries.py $(realpath -m -- "$dir"))"
fi
