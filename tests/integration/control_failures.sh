#!/usr/bin/env bash
# The control protocol under failure: authentication (dpdk-gen
# and hand-written clients: wrong secret, no secret, no challenge, a wrong,
# missing or replayed 'auth', the allowlist without a secret), a second
# controller, the HTTP endpoints during a test, clock sync, each side losing
# the other (kill -9 of either program: noticed at once, the traffic stops;
# the link taken down: 3 s of silence), and the results kept for a fetch.
# Freezes, reconnects and the drain rules: peer_loss_recovery.sh.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/control_lib.sh"

testbed_up
TOKEN_OK="$WORK/token-ok" TOKEN_BAD="$WORK/token-bad"
echo "good-secret-0123456789abcdef" >"$TOKEN_OK"
echo "wrong-secret-0123456789abcdef" >"$TOKEN_BAD"

http_get() {  # http_get NS URL -> body (fails on non-200)
  ip netns exec "$1" $PY -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode(), end="")' "$2"
}

# recv_auth_failed CAUSE [PEER-IP] [LOG]: bounded wait for the receiver's log
# line naming the peer, "authentication failed" and the cause, written after
# the last mark_log (so each refusal must log its own line).
LOG_MARK=0
mark_log() { LOG_MARK=$(wc -l <"${1:-$WORK/recv.out}"); }
recv_auth_failed() {
  local ip=${2:-$SRC_IP} log=${3:-$WORK/recv.out} i
  local pattern="authentication failed for ${ip//./\\.}:[0-9]*: $1"
  for ((i = 0; i < 400; i++)); do
    tail -n +$((LOG_MARK + 1)) "$log" | grep -q -- "$pattern" && return 0
    sleep 0.05
  done
  fail "no '$pattern' in $log (after line $LOG_MARK) within 20 s"
}

# Python with control_client importable; the script on stdin, ARGS after.
client() { ip netns exec "$SRC_NS" $PY - "$@"; }
CLIENT_PRELUDE='import os, sys, time
sys.path.insert(0, os.environ["EBT_SOURCE_DIR"] + "/tests/integration")
from control_client import Control, hello, read_secret, auth_response'

# --- 1. Authentication.
start_receiver --token-file "$TOKEN_OK"
# A client that says hello and then nothing: refused after the receiver's
# 10 s auth timeout.  Against a second receiver (port 8081, same secret) so
# that the wait runs beside the other cases instead of after them.
ip netns exec "$DST_NS" "$XDP_RECV" --interface "$DST_IF" --control-port 8081 --token-file "$TOKEN_OK" \
  --results-dir "$WORK/recv-silent" >"$WORK/recv-silent.out" 2>&1 &
SILENT_RECV=$!
BG_PIDS+=("$SILENT_RECV")
"$EBT_SOURCE_DIR/tools/testbed.sh" wait-listen 8081 "$SILENT_RECV" || { cat "$WORK/recv-silent.out" >&2; fail "second xdp-recv not listening"; }
ip netns exec "$SRC_NS" $PY - "$DST_IP" >"$WORK/silent.out" 2>&1 <<PY &
$CLIENT_PRELUDE
c = Control(sys.argv[1], port=8081, timeout=30)
c.send(hello(challenge="cd" * 32))
h = c.recv()
assert h["type"] == "hello" and h.get("challenge"), h
t0 = time.monotonic()
m = c.recv()   # no 'auth' from us: only the receiver's timeout can answer
print(m["type"], m.get("code"), c.closed(), "%.2f" % (time.monotonic() - t0))
PY
SILENT_CLIENT=$!
BG_PIDS+=("$SILENT_CLIENT")

# A wrong secret is refused, one line on each side.
mark_log
rc=0
gen_in_src --log-level=error --vdev "net_af_packet0,iface=$SRC_IF" -- --dst-ip "$DST_IP" --rate 1000 --duration 1 \
  --token-file "$TOKEN_BAD" --results-dir "$WORK/gen-bad" >"$WORK/gen-bad.out" 2>&1 || rc=$?
[[ $rc -eq 1 ]] || { cat "$WORK/gen-bad.out" >&2; fail "wrong token: dpdk-gen exited $rc, expected 1"; }
grep -q "failed authentication" "$WORK/gen-bad.out" || { cat "$WORK/gen-bad.out" >&2; fail "wrong token not reported"; }
[[ ! -e "$WORK/gen-bad" ]] || fail "a refused run left a results directory"
# The receiver says who failed and why: dpdk-gen rejected our response and closed.
recv_auth_failed "the generator closed the connection during authentication (its shared secret differs"
# No secret at all against a receiver that has one: refused, said so.
mark_log
rc=0
env -u EBT_TOKEN ip netns exec "$SRC_NS" "$DPDK_GEN" "${HX_EAL[@]}" --log-level=error \
  --vdev "net_af_packet0,iface=$SRC_IF" -- --dst-ip "$DST_IP" --rate 1000 --duration 1 \
  --results-dir "$WORK/gen-none" >"$WORK/gen-none.out" 2>&1 || rc=$?
[[ $rc -eq 1 ]] || { cat "$WORK/gen-none.out" >&2; fail "no token: dpdk-gen exited $rc, expected 1"; }
grep -q "requires authentication" "$WORK/gen-none.out" || { cat "$WORK/gen-none.out" >&2; fail "missing token not reported"; }
recv_auth_failed "the generator has no shared secret (its hello carried no challenge)"

# Hand-written clients for the causes dpdk-gen never produces (it gives up
# first): each gets error auth_failed, the connection is closed, and the log
# line names the peer and the cause.
auth_client() {  # auth_client wrong|nochallenge|skip -> "<type> <code> <closed|open|data>"
  client "$DST_IP" "$1" <<PY
$CLIENT_PRELUDE
c = Control(sys.argv[1])
h = hello(challenge="ab" * 32)
if sys.argv[2] == "nochallenge":
    del h["challenge"]
c.send(h)
assert c.recv()["type"] == "hello"
c.send({"type": "time_request", "t1": 1} if sys.argv[2] == "skip" else {"type": "auth", "response": "00" * 32})
c.send({"type": "fetch_results", "test_id": 0})   # answered (not_found) only if let in
m = c.recv()
print(m["type"], m.get("code"), c.closed())
PY
}
for c in "wrong|wrong HMAC response in 'auth'" \
         "nochallenge|the generator's hello carried no challenge (it has no shared secret)" \
         "skip|expected 'auth', got 'time_request'"; do
  mark_log
  reply=$(auth_client "${c%%|*}") || fail "auth client ${c%%|*} got no answer"
  [[ "$reply" == "error auth_failed closed" ]] || fail "auth client ${c%%|*}: '$reply', expected 'error auth_failed closed'"
  recv_auth_failed "${c#*|}"
done

# A replayed response.  A client that knows the secret checks the receiver's
# proof (HMAC(secret, "receiver|cg|cr"), common/control/auth.cpp), answers with
# HMAC(secret, "generator|cr|cg") and is let in (a fetch_results after it is
# answered, not refused); that response replayed in a new session, with the
# same hello, is refused: the receiver's challenge is new each time.
mark_log
reply=$(client "$DST_IP" "$TOKEN_OK" <<PY
$CLIENT_PRELUDE
secret = read_secret(sys.argv[2])
cg = os.urandom(32).hex()
c = Control(sys.argv[1])
c.send(hello(challenge=cg))
h = c.recv()
assert h["type"] == "hello", h
cr1 = h["challenge"]
proof = auth_response(secret, "receiver", cg, cr1)
assert h["response"] == proof, "the receiver's response is not HMAC(secret, 'receiver|cg|cr'): this client computes it differently"
recorded = auth_response(secret, "generator", cr1, cg)
c.send({"type": "auth", "response": recorded})
c.send({"type": "fetch_results", "test_id": 0})
m = c.recv()
assert m["type"] == "error" and m["code"] == "not_found", f"a valid response was not accepted: {m}"
c = Control(sys.argv[1])
c.send(hello(challenge=cg))
h = c.recv()
assert h["type"] == "hello", h
assert h["challenge"] != cr1, "the receiver sent the same challenge twice"
c.send({"type": "auth", "response": recorded})
c.send({"type": "fetch_results", "test_id": 0})   # answered (not_found) only if let in
m = c.recv()
print(m["type"], m.get("code"), c.closed())
PY
) || fail "replay client: $reply"
[[ "$reply" == "error auth_failed closed" ]] || fail "replayed auth response: '$reply', expected 'error auth_failed closed'"
recv_auth_failed "wrong HMAC response in 'auth'"
kill -0 "$RECV_PID" 2>/dev/null || fail "xdp-recv --once ended on refused sessions"

# After all that, a good client runs a complete test.
gen_bg Good --rate 2000 --duration 2 --token-file "$TOKEN_OK"
gen_wait Good 0 30
recv_wait 0 10
good=$(only_dir "$WORK/gen-Good/two_machine")/results.json
[[ $(json_field "$good" 'd["test"]["status"]') == complete ]] || fail "good run incomplete"
# Clock sync on one host: the offset is 0 within its own reported uncertainty.
[[ $(json_field "$good" 'abs(d["generator"]["clock_sync"]["offset_ns"]) <= d["generator"]["clock_sync"]["uncertainty_ns"]') == True ]] \
  || fail "clock offset outside its uncertainty: $(json_field "$good" 'd["generator"]["clock_sync"]')"
[[ $(json_field "$good" 'd["generator"]["clock_sync"]["samples"]') -ge 8 ]] || fail "fewer than 8 clock exchanges"
rm -rf "$WORK/recv"

# The silent client: refused with auth_failed after the 10 s auth timeout
# (not before: a slow client is not cut short; bounded: 15 s), the
# connection closed, and the receiver's line names the peer and the cause.
wait_exit "$SILENT_CLIENT" 20
wait "$SILENT_CLIENT" || { cat "$WORK/silent.out" >&2; fail "the silent client failed"; }
read -r s_type s_code s_closed s_after <"$WORK/silent.out"
[[ "$s_type $s_code $s_closed" == "error auth_failed closed" ]] || fail "no 'auth' message: '$(cat "$WORK/silent.out")', expected 'error auth_failed closed'"
$PY -c 'import sys; sys.exit(not 9.5 <= float(sys.argv[1]) <= 15)' "$s_after" ||
  fail "no 'auth' message: refused after $s_after s, expected the 10 s auth timeout (9.5 .. 15 s)"
LOG_MARK=0
recv_auth_failed "no 'auth' message within 10 s" "$SRC_IP" "$WORK/recv-silent.out"
kill -TERM "$SILENT_RECV"; wait "$SILENT_RECV" || true
[[ ! -e "$WORK/recv-silent" ]] || fail "a refused session left a receiver results directory"
echo "ok 1: authentication: wrong, missing, replayed and skipped responses refused (the silent client after $s_after s); a good run completes"

# --- 2. During a test: HTTP on both sides, and a second controller is told
#        "busy" without disturbing it.  The test runs until it is
#        interrupted once the checks are done: no window to fit them in.
start_receiver
gen_bg Live --rate 2000 --duration 120
wait_for "$WORK/recv.out" counting
for side in "$DST_NS $DST_IP" "$SRC_NS $SRC_IP"; do
  set -- $side
  http_get "$1" "http://$2:8080/metrics" >"$WORK/metrics.txt" || fail "GET /metrics on $2"
  promtool check metrics <"$WORK/metrics.txt" >/dev/null 2>&1 || { promtool check metrics <"$WORK/metrics.txt"; fail "promtool rejects /metrics of $2"; }
  http_get "$1" "http://$2:8080/health" | $PY -c 'import json,sys; d=json.load(sys.stdin); assert d["status"] in ("ok","degraded"), d' \
    || fail "/health of $2"
done
state=$(http_get "$DST_NS" "http://$DST_IP:8080/status" | $PY -c '
import json, sys
d = json.load(sys.stdin)
for k in ("receive_path_cpu_pct", "host_cpu_busy_pct"):   # -1 until a 2 s window, then a share
    assert d[k] == -1 or 0 <= d[k] <= 100, d
print(d["state"], d["test_id"])')
[[ "$state" == running* ]] || fail "receiver /status during the test: $state"
test_id=${state#running }
busy=$(client "$DST_IP" <<PY
$CLIENT_PRELUDE
c = Control(sys.argv[1])
c.send(hello())
m = c.recv()
print(m["type"], m.get("code"), m.get("test_id"), c.closed())
PY
) || fail "second controller got no answer"
[[ "$busy" == "error busy $test_id closed" ]] || fail "second controller: '$busy', expected 'error busy $test_id closed'"
kill -INT "$GEN_PID"
gen_wait Live 1 30
recv_wait 1 10
live=$(only_dir "$WORK/gen-Live/two_machine")/results.json
[[ $(status_of "$live") == "incomplete|interrupted by SIGINT" ]] ||
  fail "the running test was disturbed: $(json_field "$live" 'd["test"]')"
[[ $(json_field "$live" 'd["receiver"]["test_packets"] == d["generator"]["sent_packets"] > 0') == True ]] ||
  fail "the running test lost packets: received $(json_field "$live" 'd["receiver"]["test_packets"]') of $(json_field "$live" 'd["generator"]["sent_packets"]')"
[[ $(json_field "$(only_dir "$WORK/recv/receiver")/results.json" 'd["test"]["status_reason"]') == "generator: interrupted by SIGINT" ]] ||
  fail "receiver side of the live test: $(json_field "$(only_dir "$WORK/recv/receiver")/results.json" 'd["test"]')"
echo "ok 2: during test $test_id: HTTP on both sides, a second controller told busy, the test undisturbed"
rm -rf "$WORK/recv"

# --- 3. kill -9 of the generator mid-test: the receiver notices the closed
#        connection at once (within 1 s, not after the 3 s of silence),
#        detaches and writes "incomplete".
start_receiver
gen_bg Killed --rate 2000 --duration 30
wait_for "$WORK/recv.out" counting
t_kill=$(now_ms)
kill -9 "$GEN_PID"; wait "$GEN_PID" 2>/dev/null || true; GEN_PID=""
recv_wait 1 5
assert_no_xdp
# Seen on its read of the connection (FIN: "connection closed by", RST:
# "receive from ... failed"), not by the silence or a failed heartbeat.
r=$(status_of "$(only_dir "$WORK/recv/receiver")/results.json")
[[ "$r" == "incomplete|connection closed by "* || "$r" == "incomplete|receive from "*" failed"* ]] ||
  fail "receiver results after kill -9 of dpdk-gen: '$r', expected the closed connection seen on read"
noticed=$(($(log_ms "$WORK/recv.out" " incomplete: ") - t_kill))
((noticed <= 1000)) || fail "xdp-recv noticed the killed generator after $noticed ms, expected at once (<= 1000 ms)"
echo "ok 3: dpdk-gen killed: xdp-recv noticed after $noticed ms: $r"
rm -rf "$WORK/recv"

# --- 4. kill -9 of the receiver mid-test: the generator notices at once,
#        stops its traffic (no more sent than due until then + 0.25 s) and
#        writes its side.
start_receiver
gen_bg RecvKilled --rate 2000 --duration 30
wait_for "$WORK/recv.out" counting
t_kill=$(now_ms)
kill -9 "$RECV_PID"; wait "$RECV_PID" 2>/dev/null || true; RECV_PID=""
assert_no_xdp   # the kernel dropped the bpf_link with the process
gen_wait RecvKilled 1 5
g=$(only_dir "$WORK/gen-RecvKilled/two_machine")/results.json
reason=$(json_field "$g" 'd["test"]["status_reason"]')
[[ "$reason" == "receiver lost during the test: connection closed by "* || "$reason" == "receiver lost during the test: receive from "*" failed"* ]] ||
  fail "generator reason: '$reason', expected the closed connection seen on read"
noticed=$(($(log_ms "$WORK/gen-RecvKilled.out" "receiver lost during the test") - t_kill))
((noticed <= 1000)) || fail "dpdk-gen noticed the killed receiver after $noticed ms, expected at once (<= 1000 ms)"
assert_stopped_sending RecvKilled 2000 "receiver lost during the test"
echo "ok 4: xdp-recv killed: dpdk-gen noticed after $noticed ms and stopped sending: $reason"
rm -rf "$WORK/recv"

# --- 5. The link goes down mid-test: no FIN arrives, the heartbeats stop; both
#        sides declare the peer lost (3 s) and write "incomplete".
start_receiver
gen_bg LinkDown --rate 2000 --duration 30
wait_for "$WORK/recv.out" counting
ip netns exec "$DST_NS" ip link set "$DST_IF" down
recv_wait 1 10
assert_no_xdp
gen_wait LinkDown 1 10
r=$(json_field "$(only_dir "$WORK/recv/receiver")/results.json" 'd["test"]["status_reason"]')
[[ "$r" == *"peer lost"* ]] || fail "receiver reason after link down: $r"
g=$(json_field "$(only_dir "$WORK/gen-LinkDown/two_machine")/results.json" 'd["test"]["status_reason"]')
[[ "$g" == *"peer lost"* ]] || fail "generator reason after link down: $g"
ip netns exec "$DST_NS" ip link set "$DST_IF" up
echo "ok 5: link down: both sides declared the peer lost"
rm -rf "$WORK/recv"

# --- 6. The receiver keeps its last results: a new connection fetches them by
#        test id (what dpdk-gen does when the connection broke after stop;
#        peer_loss_recovery.sh breaks one).  The hand-written client below does
#        not authenticate: no secret here.
unset EBT_TOKEN
ip netns exec "$DST_NS" "$XDP_RECV" --interface "$DST_IF" --results-dir "$WORK/recv" >"$WORK/recv.out" 2>&1 &
RECV_PID=$!
"$EBT_SOURCE_DIR/tools/testbed.sh" wait-listen 8080 "$RECV_PID" || fail "xdp-recv not listening"
# A generator with a secret refuses this receiver without one: both say so.
mark_log
rc=0
gen_in_src --log-level=error --vdev "net_af_packet0,iface=$SRC_IF" -- --dst-ip "$DST_IP" --rate 1000 --duration 1 \
  --token-file "$TOKEN_OK" --results-dir "$WORK/gen-nosecret" >"$WORK/gen-nosecret.out" 2>&1 || rc=$?
[[ $rc -eq 1 ]] || { cat "$WORK/gen-nosecret.out" >&2; fail "receiver without a secret: dpdk-gen exited $rc, expected 1"; }
grep -q "does not authenticate" "$WORK/gen-nosecret.out" || { cat "$WORK/gen-nosecret.out" >&2; fail "unauthenticated receiver not reported"; }
recv_auth_failed "the generator has a shared secret and this receiver has none"
# Without a secret, an address outside loopback and 198.18.0.0/15 is refused
# (auth_required), and logged with its address.  A second address pair on
# the testbed's veth (TEST-NET-1), removed with the namespaces.
ip netns exec "$SRC_NS" ip addr add 192.0.2.1/24 dev "$SRC_IF"
ip netns exec "$DST_NS" ip addr add 192.0.2.2/24 dev "$DST_IF"
mark_log
outsider=$(client <<PY
$CLIENT_PRELUDE
c = Control("192.0.2.2", source="192.0.2.1")
c.send(hello())
m = c.recv()
print(m["type"], m.get("code"), c.closed())
PY
) || fail "outside client got no answer"
[[ "$outsider" == "error auth_required closed" ]] || fail "outside address without a secret: '$outsider', expected 'error auth_required closed'"
recv_auth_failed "this receiver has no shared secret and accepts only loopback" 192.0.2.1
ip netns exec "$SRC_NS" ip addr del 192.0.2.1/24 dev "$SRC_IF"
ip netns exec "$DST_NS" ip addr del 192.0.2.2/24 dev "$DST_IF"
gen_bg Kept --rate 1000 --duration 1
gen_wait Kept 0 30
kept=$(only_dir "$WORK/gen-Kept/two_machine")/results.json
id=$(json_field "$kept" 'd["test"]["id"]')
received=$(json_field "$kept" 'd["receiver"]["test_packets"]')
fetch() {  # fetch TEST_ID -> "results <test_packets>" or "error <code>"
  client "$DST_IP" "$1" <<PY
$CLIENT_PRELUDE
c = Control(sys.argv[1])
c.send(hello())
assert c.recv()["type"] == "hello"
c.send({"type": "fetch_results", "test_id": int(sys.argv[2])})
m = c.recv()
print(("results %d" % m["receiver"]["test_packets"]) if m["type"] == "results" else ("error " + m["code"]))
PY
}
[[ $(fetch "$id") == "results $received" ]] || fail "fetch_results of test $id: $(fetch "$id")"
[[ $(fetch $(((id + 1) % 65536))) == "error not_found" ]] || fail "fetch_results of an unknown test"
kill -TERM "$RECV_PID"; wait "$RECV_PID" || true; RECV_PID=""
assert_no_xdp
echo "ok 6: no secret: allowlist enforced; the last results fetched by test id"
echo "PASS control failures"
