# shellcheck shell=bash
# tools/lib/harness.sh: what the scripts that run the programs share
# (sourced, never run): tools/demo.sh, tools/soak.sh, tools/bench-gen.sh,
# tools/bench-recv.sh and the integration tests (tests/integration/lib.sh).
#
#   HX_EAL, HX_EAL_BASE   dpdk-gen's EAL defaults
#   hx_programs BUILD     DPDK_GEN and XDP_RECV of a build directory
#   hx_gen NS ARGS...     dpdk-gen with the EAL defaults, in namespace NS
#   hx_testbed_up         the two-namespace testbed up, its names in the shell
#   hx_start_receiver     xdp-recv in the destination namespace, listening
#   bg_start, stop_processes, cleanup, hx_traps
#                         background processes, and the exit trap that stops
#                         them, takes the testbed down and removes HX_CLEAN
#   wait_until, wait_for, wait_exit, log_ms, now_ms
#                         bounded waits and log times
#   result_get, result_figures, result_show, result_json
#                         reading a results directory (tools/lib/result.py)
#
# The caller sets `set -euo pipefail` itself.  `fail MESSAGE` ends the
# script (status 1); a caller may define its own `fail` after sourcing.
[[ -z ${_HX_SOURCED:-} ]] || return 0
_HX_SOURCED=1

HX_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HX_TESTBED="$HX_ROOT/tools/testbed.sh"
HX_PY=/usr/bin/python3   # Debian's (the build's dependency list)
HX_RESULT="$HX_ROOT/tools/lib/result.py"

# dpdk-gen's EAL defaults for a run on one box: no hugepages (-m 256 is
# enough for its mbuf pools), no PCI scan (the ports are --vdev), no shared
# runtime config (so runs side by side do not collide).  HX_EAL adds the
# lcores: 0 for the main thread, 1 for one TX lcore; a caller with its own
# lcore list (--lcores ...) starts from HX_EAL_BASE.
HX_EAL_BASE=(--no-huge --no-pci -m 256 --no-shconf)
HX_EAL=("${HX_EAL_BASE[@]}" -l 0-1)

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# hx_programs BUILD: DPDK_GEN and XDP_RECV of the build directory BUILD.
hx_programs() {
  DPDK_GEN="$1/generator/dpdk-gen"
  XDP_RECV="$1/receiver/xdp-recv"
}

# hx_gen NS ARGS...: dpdk-gen ($DPDK_GEN) with the EAL defaults, then ARGS
# (more EAL options, --, its own options), in network namespace NS (none:
# ""), in the foreground.  In the background, where $! must be dpdk-gen
# itself, not a subshell running this function, spell it out:
#   ip netns exec "$NS" "$DPDK_GEN" "${HX_EAL[@]}" ... &
hx_gen() {
  local ns=$1
  shift
  if [[ -n $ns ]]; then
    ip netns exec "$ns" "$DPDK_GEN" "${HX_EAL[@]}" "$@"
  else
    "$DPDK_GEN" "${HX_EAL[@]}" "$@"
  fi
}

# hx_testbed_up [--show]: tools/testbed.sh up (prefix $EBT_TESTBED; --show:
# its "testbed ... up" line printed), then its names (SRC_NS DST_NS SRC_IF
# DST_IF SRC_IP DST_IP) in this shell; cleanup takes it down again.
hx_testbed_up() {
  HX_TESTBED_DOWN=1
  if [[ ${1:-} == --show ]]; then "$HX_TESTBED" up; else "$HX_TESTBED" up >/dev/null; fi
  eval "$("$HX_TESTBED" env)"
}

# hx_start_receiver LOG PORT ARGS...: xdp-recv ($XDP_RECV) on $DST_IF in
# $DST_NS with ARGS, its output in LOG, RECV_PID its pid; then a bounded wait
# (tools/testbed.sh wait-listen) until its control port PORT listens.
# Returns 1, LOG shown, if it never does.
hx_start_receiver() {
  local log=$1 port=$2
  shift 2
  ip netns exec "$DST_NS" "$XDP_RECV" --interface "$DST_IF" "$@" >"$log" 2>&1 &
  RECV_PID=$!
  "$HX_TESTBED" wait-listen "$port" "$RECV_PID" >/dev/null && return 0
  cat "$log" >&2
  return 1
}

# ---------------------------------------------------------------- processes
# bg_start CMD [ARG...] runs one simple command (a program, not a function or
# a pipeline, so that $! is the process itself; `ip netns exec NS PROG` execs
# PROG) in the background, with the caller's redirections, sets BG_PID and
# adds it to BG_PIDS:
#   bg_start ip netns exec "$DST_NS" "$PY" -c '...' >"$WORK/x.out" 2>&1
# The caller may wait for or kill it itself; whatever still runs at exit is
# stopped by cleanup.
RECV_PID=""
GEN_PID=""
BG_PIDS=()
BG_PID=""
bg_start() {
  "$@" &
  BG_PID=$!
  BG_PIDS+=("$BG_PID")
}

# proc_alive PID: a process that has not exited (a zombie has).
proc_alive() {
  local st
  { read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
  st=${st##*) }
  [[ ${st%% *} != [ZX] ]]
}
proc_ppid() {  # the parent's pid (the field after the state)
  local st
  { read -r st <"/proc/$1/stat"; } 2>/dev/null || return 1
  st=${st##*) }
  st=${st#* }
  echo "${st%% *}"
}
# descendants PID...: every live process below the given ones.
descendants() {
  local -A kids=()
  local f st pid ppid
  for f in /proc/[0-9]*/stat; do
    { read -r st <"$f"; } 2>/dev/null || continue
    pid=${st%% *}
    st=${st##*) }
    st=${st#* }
    ppid=${st%% *}
    kids[$ppid]+="$pid "
  done
  local -a todo=("$@")
  while ((${#todo[@]})); do
    pid=${todo[0]}
    todo=("${todo[@]:1}")
    for f in ${kids[$pid]:-}; do
      echo "$f"
      todo+=("$f")
    done
  done
}

# stop_processes: CONT (a frozen process would never act on TERM), TERM, at
# most 10 s to exit, then KILL (5 s more), for every process this shell
# started and that still runs: RECV_PID, GEN_PID, BG_PIDS, any other
# background job, everything below them, and every process in the testbed's
# two namespaces (if this shell brought it up).  Children are reaped.
# Returns 1 (naming them) if any survive.
stop_processes() {
  local -a cand=() pids=() left=()
  local p ns i
  cand=(${RECV_PID:-} ${GEN_PID:-} "${BG_PIDS[@]}" $(jobs -p))
  for p in "${cand[@]}"; do
    # Only our own children: a recorded pid that has since been reaped may
    # belong to someone else by now.
    [[ -n "$p" ]] && proc_alive "$p" && [[ $(proc_ppid "$p") == "$$" ]] && pids+=("$p")
  done
  ((${#pids[@]})) && pids+=($(descendants "${pids[@]}"))
  if [[ -n ${HX_TESTBED_DOWN:-} ]]; then
    for ns in "$EBT_TESTBED-src" "$EBT_TESTBED-dst"; do
      pids+=($(ip netns pids "$ns" 2>/dev/null || true))
    done
  fi
  ((${#pids[@]})) || return 0
  mapfile -t pids < <(printf '%s\n' "${pids[@]}" | sort -un)
  kill -CONT "${pids[@]}" 2>/dev/null || true
  kill -TERM "${pids[@]}" 2>/dev/null || true
  local t0=${EPOCHREALTIME/./} killed=""
  while :; do
    left=()
    for p in "${pids[@]}"; do proc_alive "$p" && left+=("$p"); done
    ((${#left[@]})) || break
    i=$(((${EPOCHREALTIME/./} - t0) / 1000000))
    if [[ -z "$killed" ]] && ((i >= 10)); then
      kill -KILL "${left[@]}" 2>/dev/null || true
      killed=1
    fi
    ((i < 15)) || break
    sleep 0.05
  done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if ((${#left[@]})); then
    echo "cleanup: processes still running after TERM and KILL: ${left[*]}" >&2
    return 1
  fi
}

# cleanup (the EXIT trap, hx_traps): stops every process (stop_processes),
# takes the testbed down if this shell brought it up (HX_TESTBED_DOWN),
# removes every path in HX_CLEAN, and exits with the script's status (1 if
# a process survived).  A script with more to undo traps EXIT itself and
# calls cleanup last, keeping the status:
#   trap 'rc=$?; set +e; undo_mine; (exit $rc); cleanup' EXIT
HX_CLEAN=()
cleanup() {
  local rc=$?
  # Once: a second signal (a meson time-out sends TERM, later KILL) must not
  # cut the clean-up short.
  trap - EXIT
  trap '' INT TERM HUP
  set +e
  stop_processes || { ((rc)) || rc=1; }
  [[ -z ${HX_TESTBED_DOWN:-} ]] || "$HX_TESTBED" down >/dev/null 2>&1
  ((${#HX_CLEAN[@]} == 0)) || rm -rf -- "${HX_CLEAN[@]}"
  exit $rc
}
# hx_traps: cleanup on every exit; INT, TERM and HUP exit 130, 143, 129.
hx_traps() {
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
}

# ---------------------------------------------------------------- waits
# wait_until SECONDS WHAT COMMAND...: run COMMAND every 50 ms until it
# succeeds; fail naming WHAT when SECONDS pass first.
wait_until() {
  local secs=$1 what=$2 end
  shift 2
  end=$((${EPOCHREALTIME/./} + secs * 1000000))
  while :; do
    "$@" && return 0
    ((${EPOCHREALTIME/./} < end)) || break
    sleep 0.05
  done
  fail "$what: not within $secs s"
}

# wait_for [-E] FILE PATTERN [SECONDS [PID]]: bounded wait (default 20 s)
# for a line of FILE matching PATTERN (a basic regular expression, grep's
# default; -E: an extended one); with PID, fails at once when that process
# has exited without it.  FILE is shown when it fails.
wait_for() {
  local ere=()
  [[ $1 != -E ]] || { ere=(-E); shift; }
  local file=$1 pat=$2 limit=${3:-20} pid=${4:-} i
  for ((i = 0; i < limit * 20; i++)); do
    grep -q "${ere[@]}" -- "$pat" "$file" 2>/dev/null && return 0
    if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
      grep -q "${ere[@]}" -- "$pat" "$file" 2>/dev/null && return 0
      cat "$file" >&2 2>/dev/null || true
      fail "process $pid exited before '$pat' appeared in $file"
    fi
    sleep 0.05
  done
  cat "$file" >&2 2>/dev/null || true
  fail "no '$pat' in $file after $limit s"
}

wait_exit() {  # wait_exit PID SECONDS: the process must end within the bound
  local i
  for ((i = 0; i < $2 * 20; i++)); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.05
  done
  fail "process $1 still running after $2 s"
}

now_ms() { date +%s%3N; }

# log_ms FILE PATTERN: the time (epoch ms) of the first log line matching
# PATTERN; both programs start each line with an ISO 8601 UTC time in ms.
log_ms() {
  local line
  line=$(grep -m1 -- "$2" "$1") || fail "no '$2' in $1"
  date -d "${line%% *}" +%s%3N
}

# ---------------------------------------------------------------- results
# The one way the scripts read a results directory (or results.json):
# tools/lib/result.py, whose figures() is where dpdk-gen's own summary will
# plug in.  Each prints its values on one line, space-separated ("-" for
# null), for `read -r a b c < <(result_... )`.
#   result_json PATH              the results.json in PATH (exactly one below it)
#   result_get PATH FIELD...      fields of results.json by dotted path
#                                 (summary.sent_packets, receiver.system.x)
#   result_figures PATH NAME...   the run's summary figures (result.py figures --help)
#   result_show PATH              the summary a person reads (tools/demo.sh)
result_json() { "$HX_PY" "$HX_RESULT" json "$@"; }
result_get() { "$HX_PY" "$HX_RESULT" get "$@"; }
result_figures() { "$HX_PY" "$HX_RESULT" figures "$@"; }
result_show() { "$HX_PY" "$HX_RESULT" show "$@"; }

# ---------------------------------------------------------------- options
# hx_options HELP OPTION=VAR... -- ARG...: a script's options that take a
# value (`--OPTION V` sets VAR), -h/--help (prints the script's own lines
# HELP, a sed range such as 2,15p, and exits 0), every other argument in
# HX_ARGS in order.  An unknown option or a missing value: exit 2.
#   hx_options 2,7p build=build jobs=jobs -- "$@"; files=("${HX_ARGS[@]}")
hx_options() {
  local help=$1 self="tools/${0##*/}"
  shift
  local -A var=()
  while [[ $1 != -- ]]; do var[--${1%%=*}]=${1#*=}; shift; done
  shift
  HX_ARGS=()
  while (($#)); do
    case $1 in
      -h | --help) sed -n "$help" "$0"; exit 0 ;;
      -*)
        [[ -n ${var[$1]:-} ]] || { echo "$self: unknown option '$1' (see --help)" >&2; exit 2; }
        (($# >= 2)) || { echo "$self: $1: expected a value" >&2; exit 2; }
        printf -v "${var[$1]}" '%s' "$2"
        shift 2 ;;
      *) HX_ARGS+=("$1"); shift ;;
    esac
  done
}
