# Helpers of the control-connection tests (control_failures.sh,
# recovery_run.sh), sourced after lib.sh.  Every wait is bounded; every
# background process a test starts is put in BG_PIDS (or is $GEN_PID /
# $RECV_PID) and is continued (it may be frozen with SIGSTOP), terminated and
# reaped on every exit path before lib.sh's cleanup removes the testbed.

BG_PIDS=()
GEN_PID=""

control_cleanup() {
  local rc=$? p
  set +e
  for p in "$GEN_PID" "$RECV_PID" "${BG_PIDS[@]}"; do
    [[ -n "$p" ]] && kill -0 "$p" 2>/dev/null || continue
    kill -CONT "$p" 2>/dev/null   # a frozen process would never act on TERM
    kill -TERM "$p" 2>/dev/null
  done
  for p in "$GEN_PID" "${BG_PIDS[@]}"; do
    [[ -n "$p" ]] && wait "$p" 2>/dev/null
  done
  (exit $rc)
  cleanup  # lib.sh: the receiver, the testbed, $WORK
}
trap control_cleanup EXIT

# wait_for FILE PATTERN [SECONDS]: bounded wait (default 20 s) for a line
# matching PATTERN (a basic regular expression, grep's default).
wait_for() {
  local i limit=${3:-20}
  for ((i = 0; i < limit * 20; i++)); do
    grep -q -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  fail "no '$2' in $1 after $limit s"
}

wait_exit() {  # wait_exit PID SECONDS: the process must end within the bound
  local i
  for ((i = 0; i < $2 * 20; i++)); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.05
  done
  fail "process $1 still running after $2 s"
}

# gen_bg NAME ARGS...: dpdk-gen in the source namespace, $GEN_PID = dpdk-gen
# itself (ip netns exec execs it), output in $WORK/gen-NAME.out, results below
# $WORK/gen-NAME.  $GEN_VDEV replaces the default port.
gen_bg() {
  local name=$1; shift
  ip netns exec "$SRC_NS" "$DPDK_GEN" --no-huge --no-pci -m 256 --no-shconf -l 0-1 --log-level=error \
    --vdev "${GEN_VDEV:-net_af_packet0,iface=$SRC_IF}" -- --dst-ip "$DST_IP" --flows 2 --size 64 --name "$name" \
    --results-dir "$WORK/gen-$name" "$@" >"$WORK/gen-$name.out" 2>&1 &
  GEN_PID=$!
}

# gen_wait NAME EXPECTED_STATUS SECONDS: dpdk-gen ends within the bound with that exit status.
gen_wait() {
  local rc=0
  wait_exit "$GEN_PID" "$3"
  wait "$GEN_PID" || rc=$?
  GEN_PID=""
  [[ $rc -eq $2 ]] || { cat "$WORK/gen-$1.out" >&2; fail "dpdk-gen $1 exited $rc, expected $2"; }
}

# recv_wait EXPECTED_STATUS SECONDS: xdp-recv ends within the bound with that exit status.
recv_wait() {
  local rc=0
  wait_exit "$RECV_PID" "$2"
  wait "$RECV_PID" || rc=$?
  RECV_PID=""
  [[ $rc -eq $1 ]] || fail "xdp-recv exited $rc, expected $1"
}

json_field() {  # json_field FILE PYTHON-EXPR (d = the document)
  $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

now_ms() { date +%s%3N; }

# log_ms FILE PATTERN: the time (epoch ms) of the first log line matching
# PATTERN; both programs start each line with an ISO 8601 UTC time in ms.
log_ms() {
  local line
  line=$(grep -m1 -- "$2" "$1") || fail "no '$2' in $1"
  date -d "${line%% *}" +%s%3N
}

# assert_stopped_sending NAME RATE LOST_PATTERN: dpdk-gen NAME (paced at RATE
# pps) sent no more than the schedule allows up to the moment it logged
# LOST_PATTERN, plus 0.25 s (its TX lcores finishing their burst): the
# traffic stopped when it noticed the receiver was gone.  The schedule
# starts after its "results in" line.
assert_stopped_sending() {
  local out="$WORK/gen-$1.out" t_begin t_lost sent limit
  t_begin=$(log_ms "$out" "', results in ")
  t_lost=$(log_ms "$out" "$3")
  sent=$(json_field "$(only_dir "$WORK/gen-$1/two_machine")/results.json" 'd["generator"]["sent_packets"]')
  limit=$(($2 * (t_lost - t_begin + 250) / 1000))
  ((sent <= limit)) || fail "$1: sent $sent packets at $2 pps: more than the $limit due by $((t_lost - t_begin)) ms after the start + 250 ms (it kept sending after it noticed)"
}
