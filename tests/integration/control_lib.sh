# Helpers of the control-connection tests (control_failures.sh,
# peer_loss_recovery.sh), sourced after lib.sh.  Every wait is bounded (wait_for,
# wait_exit: tools/lib/harness.sh); every background process a test starts
# is put in BG_PIDS (or is $GEN_PID / $RECV_PID) and is continued (it may be
# frozen with SIGSTOP), terminated and reaped on every exit path by lib.sh's
# cleanup before it removes the testbed.

# gen_bg NAME ARGS...: dpdk-gen in the source namespace, $GEN_PID = dpdk-gen
# itself (ip netns exec execs it), output in $WORK/gen-NAME.out, results below
# $WORK/gen-NAME.  $GEN_VDEV replaces the default port.
gen_bg() {
  local name=$1; shift
  ip netns exec "$SRC_NS" "$DPDK_GEN" "${HX_EAL[@]}" --log-level=error \
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

# run_and_freeze NAME GEN_PID|RECV_PID: a 30 s test NAME at $RATE pps
# (gen_bg), and once xdp-recv counts, that process frozen (SIGSTOP) at
# t_stop (epoch ms).
run_and_freeze() {
  start_receiver
  gen_bg "$1" --rate "$RATE" --duration 30
  wait_for "$WORK/recv.out" counting
  t_stop=$(now_ms)
  kill -STOP "${!2}"
}

# drain_in RESULTS_JSON LO HI MESSAGE: the receiver's drain_s (set in DRAIN)
# is in [LO, HI); else fail with MESSAGE, its %s the value.
drain_in() {
  DRAIN=$(json_field "$1" 'd["receiver"]["drain_s"]')
  # shellcheck disable=SC2059
  awk -v d="$DRAIN" -v lo="$2" -v hi="$3" 'BEGIN { exit !(d + 0 >= lo + 0 && d + 0 < hi + 0) }' || fail "$(printf "$4" "$DRAIN")"
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
