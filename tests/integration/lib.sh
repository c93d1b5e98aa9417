# Shared by the integration tests (sourced).  Each test gets its own testbed
# prefix and results directory and removes both on every exit path.
set -euo pipefail

: "${EBT_SOURCE_DIR:?set by meson}"
: "${EBT_BUILD_DIR:?set by meson}"
DPDK_GEN="$EBT_BUILD_DIR/generator/dpdk-gen"
XDP_RECV="$EBT_BUILD_DIR/receiver/xdp-recv"
PY=/usr/bin/python3   # Debian's, with python3-jsonschema
CHECK="$PY $EBT_SOURCE_DIR/tests/integration/check_results.py"
# The receiver's own results directory (results.json against the schema, counts).
CHECK_RECV="$PY $EBT_SOURCE_DIR/tests/integration/check_receiver.py"

# Names tests/integration/leftovers.sh looks for after a run (keep in step):
# testbed prefix et<PID> (namespaces et<PID>-src/-dst) and /tmp/ebt-it.XXXXXX.
export EBT_TESTBED="et$$"
# Both programs authenticate the control connection with this secret
# ($EBT_TOKEN), as a real two-machine setup should; tests that speak the
# protocol by hand unset it.
export EBT_TOKEN="integration-test-secret-$$-0123456789"
WORK=$(mktemp -d /tmp/ebt-it.XXXXXX)
# Whose it is (this shell's pid and start time, the build directory), for
# leftovers.sh: a test still running, or one of another build, is not this
# build's leftover.
read -r _owner_stat </proc/$$/stat
_owner_stat=${_owner_stat##*) }
echo "$$ $(cut -d' ' -f20 <<<"$_owner_stat") $(realpath -m "$EBT_BUILD_DIR")" >"$WORK/.owner"
RECV_PID=""
GEN_PID=""
# Background processes.  bg_start CMD [ARG...] runs one simple command (a
# program, not a function or a pipeline, so that $! is the process itself;
# `ip netns exec NS PROG` execs PROG) in the background, with the caller's
# redirections, sets BG_PID and adds it to BG_PIDS:
#   bg_start ip netns exec "$DST_NS" "$PY" -c '...' >"$WORK/x.out" 2>&1
# A test may wait for or kill it itself; whatever still runs at exit is
# stopped by cleanup.
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

# stop_processes: TERM, at most 10 s to exit, then KILL (5 s more), for every
# process this test started and that still runs: RECV_PID, GEN_PID, BG_PIDS,
# any other background job of this shell, everything below them, and every
# process in the testbed's two namespaces.  Children are reaped.  Returns 1
# (naming them) if any survive.
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
  for ns in "$EBT_TESTBED-src" "$EBT_TESTBED-dst"; do
    pids+=($(ip netns pids "$ns" 2>/dev/null || true))
  done
  ((${#pids[@]})) || return 0
  mapfile -t pids < <(printf '%s\n' "${pids[@]}" | sort -un)
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

cleanup() {
  local rc=$?
  # Once: a second signal (a meson time-out sends TERM, later KILL) must not
  # cut the clean-up short.
  trap - EXIT
  trap '' INT TERM HUP
  set +e
  stop_processes || { ((rc)) || rc=1; }
  "$EBT_SOURCE_DIR/tools/testbed.sh" down >/dev/null 2>&1
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

fail() {
  echo "FAIL: $*" >&2
  # The receiver's log is the first thing to read when a run went wrong.
  [[ -f "$WORK/recv.out" ]] && tail -n 20 "$WORK/recv.out" | sed 's/^/  xdp-recv: /' >&2
  exit 1
}

testbed_up() {
  "$EBT_SOURCE_DIR/tools/testbed.sh" up >/dev/null
  eval "$("$EBT_SOURCE_DIR/tools/testbed.sh" env)"
}

# start_receiver ARGS...: xdp-recv --once in the destination namespace, then
# wait (bounded) until its control port is listening.
start_receiver() {
  ip netns exec "$DST_NS" "$XDP_RECV" --interface "$DST_IF" --results-dir "$WORK/recv" --once "$@" \
    >"$WORK/recv.out" 2>&1 &
  RECV_PID=$!
  "$EBT_SOURCE_DIR/tools/testbed.sh" wait-listen 8080 "$RECV_PID" || { cat "$WORK/recv.out" >&2; fail "xdp-recv not listening"; }
}

# gen_in_src EAL_ARGS -- APP_ARGS: dpdk-gen in the source namespace, unique
# DPDK runtime (no shared config), no hugepages.
gen_in_src() {
  ip netns exec "$SRC_NS" "$DPDK_GEN" --no-huge --no-pci -m 256 --no-shconf -l 0-1 "$@"
}

# The interface must have no XDP program left.
assert_no_xdp() {
  if ip netns exec "$DST_NS" ip -d link show "$DST_IF" | grep -q 'prog/xdp'; then
    fail "an XDP program is still attached to $DST_IF"
  fi
}

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

only_dir() {  # the single directory below $1
  local d
  d=$(find "$1" -mindepth 1 -maxdepth 1 -type d)
  [[ $(echo "$d" | wc -l) -eq 1 && -n "$d" ]] || fail "expected exactly one results directory in $1, got: $d"
  echo "$d"
}
