#!/usr/bin/env bash
# Bad control messages: a client (bad_input_control.py) sends malformed frames and
# invalid messages to a serving xdp-recv in the testbed; each gets an error
# reply (code bad_request, the reason naming the problem) and the receiver
# keeps serving: a good coordinated run afterwards completes.  No XDP
# program is left attached and the receiver writes no results directory for
# the refused sessions.
source "$(dirname "$0")/lib.sh"
# The hand-written client speaks the protocol without authenticating.
unset EBT_TOKEN

testbed_up
# Not --once: it must survive the bad sessions.
ip netns exec "$DST_NS" "$XDP_RECV" --interface "$DST_IF" --results-dir "$WORK/recv" \
  >"$WORK/recv.out" 2>&1 &
RECV_PID=$!
"$EBT_SOURCE_DIR/tools/testbed.sh" wait-listen 8080 "$RECV_PID" || { cat "$WORK/recv.out" >&2; fail "xdp-recv not listening"; }

version=$(grep -o 'kProtocolVersion = [0-9]*' "$EBT_SOURCE_DIR/common/control/protocol.hpp" | grep -o '[0-9]*$')
ip netns exec "$SRC_NS" "$PY" "$EBT_SOURCE_DIR/tests/integration/bad_input_control.py" "$DST_IP" 8080 "$version" ||
  { cat "$WORK/recv.out" >&2; fail "bad control messages"; }
kill -0 "$RECV_PID" 2>/dev/null || { cat "$WORK/recv.out" >&2; fail "xdp-recv died on bad control messages"; }
[[ ! -e "$WORK/recv" ]] || fail "xdp-recv created a results directory for refused sessions"
assert_no_xdp

# Still serving: a good short run completes.
gen_in_src --vdev "net_af_packet0,iface=$SRC_IF" -- --dst-ip "$DST_IP" --rate 1000 --duration 1 \
  --name after_bad --results-dir "$WORK/gen" >"$WORK/gen.out" 2>&1 ||
  { cat "$WORK/gen.out" "$WORK/recv.out" >&2; fail "good run after bad control messages failed"; }
$CHECK "$(only_dir "$WORK/gen/two_machine")" --status complete >/dev/null ||
  fail "good run after bad control messages: results.json invalid"
assert_no_xdp
echo "PASS bad control messages"
