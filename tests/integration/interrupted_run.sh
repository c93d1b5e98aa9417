#!/usr/bin/env bash
# A test interrupted on either side ends as "incomplete" with the reason on
# both sides, results written, and the XDP program detached.
source "$(dirname "$0")/lib.sh"

testbed_up

# wait_for FILE PATTERN: bounded wait for a log line (the receiver's
# "counting" means the test is running).
wait_for() {
  local i
  for ((i = 0; i < 400; i++)); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  cat "$1" >&2
  fail "no '$2' in $1 after 20 s"
}

run_gen_bg() {  # not through gen_in_src: $! must be dpdk-gen itself (ip netns exec execs it)
  ip netns exec "$SRC_NS" "$DPDK_GEN" --no-huge --no-pci -m 256 --no-shconf -l 0-1 --vdev "net_af_packet0,iface=$SRC_IF" -- --dst-ip "$DST_IP" --rate 5000 --duration "$1" \
    --flows 2 --size 64 --name "$2" --results-dir "$WORK/gen-$2" >"$WORK/gen-$2.out" 2>&1 &
  GEN_PID=$!
}

status_of() {  # status_of RESULTS_JSON -> "status|reason"
  $PY -c 'import json,sys; t=json.load(open(sys.argv[1]))["test"]; print(t["status"] + "|" + t["status_reason"])' "$1"
}

# 1. The generator is interrupted (SIGINT) mid-test.
start_receiver
run_gen_bg 30 GenInterrupted
wait_for "$WORK/recv.out" "counting"
kill -INT "$GEN_PID"
rc=0; wait "$GEN_PID" || rc=$?
[[ $rc -eq 1 ]] || { cat "$WORK/gen-GenInterrupted.out" >&2; fail "interrupted dpdk-gen exited $rc, expected 1"; }
rc=0; wait "$RECV_PID" || rc=$?; RECV_PID=""
[[ $rc -eq 1 ]] || fail "xdp-recv exited $rc after an aborted test, expected 1"
assert_no_xdp
s=$(status_of "$(only_dir "$WORK/gen-GenInterrupted/two_machine")/results.json")
[[ "$s" == "incomplete|interrupted by SIGINT" ]] || fail "generator results: $s"
s=$(status_of "$(only_dir "$WORK/recv/receiver")/results.json")
[[ "$s" == incomplete\|*interrupted* ]] || fail "receiver results: $s"
rm -rf "$WORK/recv"

# 2. The receiver is stopped (SIGTERM) mid-test: the generator notices at once
#    (connection closed) and stops its traffic.
start_receiver
run_gen_bg 4 RecvStopped
wait_for "$WORK/recv.out" "counting"
kill -TERM "$RECV_PID"
rc=0; wait "$RECV_PID" || rc=$?; RECV_PID=""
[[ $rc -eq 1 ]] || fail "xdp-recv exited $rc after SIGTERM mid-test, expected 1"
assert_no_xdp
s=$(status_of "$(only_dir "$WORK/recv/receiver")/results.json")
[[ "$s" == "incomplete|xdp-recv interrupted by a signal" ]] || fail "receiver results: $s"
rc=0; wait "$GEN_PID" || rc=$?
[[ $rc -eq 1 ]] || { cat "$WORK/gen-RecvStopped.out" >&2; fail "dpdk-gen exited $rc without receiver results, expected 1"; }
s=$(status_of "$(only_dir "$WORK/gen-RecvStopped/two_machine")/results.json")
[[ "$s" == incomplete\|"receiver lost during the test"* ]] || fail "generator results: $s"
echo "PASS interrupted runs"
