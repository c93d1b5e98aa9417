#!/usr/bin/env bash
# The control protocol under failure (issue 5): authentication, a second
# controller, the HTTP endpoints during a test, clock sync, and each side
# losing the other (kill -9 of either program, the link taken down).
source "$(dirname "$0")/lib.sh"

testbed_up
TOKEN_OK="$WORK/token-ok" TOKEN_BAD="$WORK/token-bad"
echo "good-secret-0123456789abcdef" >"$TOKEN_OK"
echo "wrong-secret-0123456789abcdef" >"$TOKEN_BAD"

wait_for() {  # wait_for FILE PATTERN: bounded wait for a log line
  local i
  for ((i = 0; i < 400; i++)); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    sleep 0.05
  done
  fail "no '$2' in $1 after 20 s"
}

wait_exit() {  # wait_exit PID SECONDS: the process must end within the bound
  local i
  for ((i = 0; i < $2 * 20; i++)); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.05
  done
  fail "process $1 still running after $2 s"
}

gen_bg() {  # gen_bg NAME ARGS...: dpdk-gen in the source namespace, $GEN_PID = dpdk-gen itself
  local name=$1; shift
  ip netns exec "$SRC_NS" "$DPDK_GEN" --no-huge --no-pci -m 256 --no-shconf -l 0-1 --log-level=error \
    --vdev "net_af_packet0,iface=$SRC_IF" -- --dst-ip "$DST_IP" --flows 2 --size 64 --name "$name" \
    --results-dir "$WORK/gen-$name" "$@" >"$WORK/gen-$name.out" 2>&1 &
  GEN_PID=$!
}

json_field() {  # json_field FILE PYTHON-EXPR (d = the document)
  $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

http_get() {  # http_get NS URL -> body (fails on non-200)
  ip netns exec "$1" $PY -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode(), end="")' "$2"
}

# recv_auth_failed CAUSE-REGEX [PEER-IP]: bounded wait for the receiver's one
# log line naming the peer, "authentication failed" and the cause.
recv_auth_failed() {
  local ip=${2:-$SRC_IP}
  wait_for "$WORK/recv.out" "authentication failed for ${ip//./\\.}:[0-9]*: $1"
}

# --- 1. Authentication: a wrong secret is refused, the next good client runs a test.
start_receiver --token-file "$TOKEN_OK"
rc=0
gen_in_src --log-level=error --vdev "net_af_packet0,iface=$SRC_IF" -- --dst-ip "$DST_IP" --rate 1000 --duration 1 \
  --token-file "$TOKEN_BAD" --results-dir "$WORK/gen-bad" >"$WORK/gen-bad.out" 2>&1 || rc=$?
[[ $rc -eq 1 ]] || { cat "$WORK/gen-bad.out" >&2; fail "wrong token: dpdk-gen exited $rc, expected 1"; }
grep -q "failed authentication" "$WORK/gen-bad.out" || { cat "$WORK/gen-bad.out" >&2; fail "wrong token not reported"; }
[[ ! -e "$WORK/gen-bad" ]] || fail "a refused run left a results directory"
# The receiver says who failed and why: dpdk-gen rejected our response and closed.
recv_auth_failed "the generator closed the connection during authentication (its shared secret differs"
# No secret at all against a receiver that has one: refused, said so.
rc=0
env -u EBT_TOKEN ip netns exec "$SRC_NS" "$DPDK_GEN" --no-huge --no-pci -m 256 --no-shconf -l 0-1 --log-level=error \
  --vdev "net_af_packet0,iface=$SRC_IF" -- --dst-ip "$DST_IP" --rate 1000 --duration 1 \
  --results-dir "$WORK/gen-none" >"$WORK/gen-none.out" 2>&1 || rc=$?
[[ $rc -eq 1 ]] || { cat "$WORK/gen-none.out" >&2; fail "no token: dpdk-gen exited $rc, expected 1"; }
grep -q "requires authentication" "$WORK/gen-none.out" || { cat "$WORK/gen-none.out" >&2; fail "missing token not reported"; }
recv_auth_failed "the generator has no shared secret (its hello carried no challenge)"
# Hand-written clients for the causes dpdk-gen never produces (it gives up
# first): each gets error auth_failed, and the log line names the cause.
auth_client() {  # auth_client wrong|nochallenge|skip -> "<type> <code>" of the reply to its second message
  ip netns exec "$SRC_NS" $PY - "$DST_IP" "$1" <<'PY'
import os, sys
sys.path.insert(0, os.environ["EBT_SOURCE_DIR"] + "/tests/integration")
from control_client import Control, hello as generator_hello
c = Control(sys.argv[1])
send, recv = c.send, c.recv
hello = generator_hello(challenge="ab" * 32)
if sys.argv[2] == "nochallenge":
    del hello["challenge"]
send(hello)
assert recv()["type"] == "hello"
send({"type": "time_request", "t1": 1} if sys.argv[2] == "skip" else {"type": "auth", "response": "00" * 32})
m = recv()
print(m["type"], m.get("code"))
PY
}
for c in "wrong|wrong HMAC response in 'auth'" \
         "nochallenge|the generator's hello carried no challenge (it has no shared secret)" \
         "skip|expected 'auth', got 'time_request'"; do
  reply=$(auth_client "${c%%|*}") || fail "auth client ${c%%|*} got no answer"
  [[ "$reply" == "error auth_failed" ]] || fail "auth client ${c%%|*}: '$reply', expected 'error auth_failed'"
  recv_auth_failed "${c#*|}"
done
kill -0 "$RECV_PID" 2>/dev/null || fail "xdp-recv --once ended on refused sessions"
gen_bg Good --rate 2000 --duration 2 --token-file "$TOKEN_OK"
rc=0; wait "$GEN_PID" || rc=$?
[[ $rc -eq 0 ]] || { cat "$WORK/gen-Good.out" >&2; fail "good token: dpdk-gen exited $rc"; }
rc=0; wait "$RECV_PID" || rc=$?; RECV_PID=""
[[ $rc -eq 0 ]] || fail "xdp-recv --once exited $rc after the good test"
good=$(only_dir "$WORK/gen-Good/two_machine")/results.json
[[ $(json_field "$good" 'd["test"]["status"]') == complete ]] || fail "good run incomplete"
# Clock sync on one host: the offset is 0 within its own reported uncertainty.
[[ $(json_field "$good" 'abs(d["generator"]["clock_sync"]["offset_ns"]) <= d["generator"]["clock_sync"]["uncertainty_ns"]') == True ]] \
  || fail "clock offset outside its uncertainty: $(json_field "$good" 'd["generator"]["clock_sync"]')"
[[ $(json_field "$good" 'd["generator"]["clock_sync"]["samples"]') -ge 8 ]] || fail "fewer than 8 clock exchanges"
rm -rf "$WORK/recv"

# --- 2. During a test: HTTP on both sides, and a second controller is told "busy".
start_receiver
gen_bg Live --rate 2000 --duration 6
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
busy=$(ip netns exec "$SRC_NS" $PY - "$DST_IP" <<'PY'
import json, socket, struct, sys
s = socket.create_connection((sys.argv[1], 8080), timeout=5)
hello = json.dumps({"type": "hello", "protocol_version": 2, "role": "generator", "software": "test"}).encode()
s.sendall(struct.pack(">I", len(hello)) + hello)

def read(n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            sys.exit("connection closed before a reply")
        out += chunk
    return out

m = json.loads(read(struct.unpack(">I", read(4))[0]))
print(m["code"], m["test_id"])
PY
) || fail "second controller got no answer"
[[ "$busy" == "busy $test_id" ]] || fail "second controller: '$busy', expected 'busy $test_id'"
rc=0; wait "$GEN_PID" || rc=$?
[[ $rc -eq 0 ]] || { cat "$WORK/gen-Live.out" >&2; fail "the running test was disturbed (exit $rc)"; }
wait "$RECV_PID" || fail "xdp-recv failed the live test"; RECV_PID=""
rm -rf "$WORK/recv"

# --- 3. kill -9 of the generator mid-test: the receiver detaches and writes "incomplete".
start_receiver
gen_bg Killed --rate 2000 --duration 30
wait_for "$WORK/recv.out" counting
kill -9 "$GEN_PID"; wait "$GEN_PID" 2>/dev/null || true
wait_exit "$RECV_PID" 5
rc=0; wait "$RECV_PID" || rc=$?; RECV_PID=""
[[ $rc -eq 1 ]] || fail "xdp-recv exited $rc after losing the generator, expected 1"
assert_no_xdp
r=$(json_field "$(only_dir "$WORK/recv/receiver")/results.json" 'd["test"]["status"] + "|" + d["test"]["status_reason"]')
[[ "$r" == incomplete\|*"connection closed"* || "$r" == incomplete\|*"peer lost"* ]] || fail "receiver results: $r"
rm -rf "$WORK/recv"

# --- 4. kill -9 of the receiver mid-test: the generator stops and writes its side.
start_receiver
gen_bg RecvKilled --rate 2000 --duration 30
wait_for "$WORK/recv.out" counting
kill -9 "$RECV_PID"; wait "$RECV_PID" 2>/dev/null || true; RECV_PID=""
assert_no_xdp   # the kernel dropped the bpf_link with the process
wait_exit "$GEN_PID" 5
rc=0; wait "$GEN_PID" || rc=$?
[[ $rc -eq 1 ]] || { cat "$WORK/gen-RecvKilled.out" >&2; fail "dpdk-gen exited $rc after losing the receiver"; }
g=$(only_dir "$WORK/gen-RecvKilled/two_machine")/results.json
[[ $(json_field "$g" 'd["test"]["status_reason"]') == "receiver lost during the test"* ]] || fail "generator reason: $(json_field "$g" 'd["test"]["status_reason"]')"
[[ $(json_field "$g" 'd["summary"]["sent_packets"] < 60000') == True ]] || fail "generator kept sending"
rm -rf "$WORK/recv"

# --- 5. The link goes down mid-test: no FIN arrives, the heartbeats stop; both
#        sides declare the peer lost (3 s) and write "incomplete".
start_receiver
gen_bg LinkDown --rate 2000 --duration 30
wait_for "$WORK/recv.out" counting
ip netns exec "$DST_NS" ip link set "$DST_IF" down
wait_exit "$RECV_PID" 10
rc=0; wait "$RECV_PID" || rc=$?; RECV_PID=""
[[ $rc -eq 1 ]] || fail "xdp-recv exited $rc after the link went down"
assert_no_xdp
wait_exit "$GEN_PID" 10
rc=0; wait "$GEN_PID" || rc=$?
[[ $rc -eq 1 ]] || fail "dpdk-gen exited $rc after the link went down"
r=$(json_field "$(only_dir "$WORK/recv/receiver")/results.json" 'd["test"]["status_reason"]')
[[ "$r" == *"peer lost"* ]] || fail "receiver reason after link down: $r"
g=$(json_field "$(only_dir "$WORK/gen-LinkDown/two_machine")/results.json" 'd["test"]["status_reason"]')
[[ "$g" == *"peer lost"* ]] || fail "generator reason after link down: $g"
ip netns exec "$DST_NS" ip link set "$DST_IF" up
rm -rf "$WORK/recv"

# --- 6. The receiver keeps its last results: a new connection fetches them by
#        test id (what dpdk-gen does when the connection broke after stop).
#        The hand-written client below does not authenticate: no secret here.
unset EBT_TOKEN
ip netns exec "$DST_NS" "$XDP_RECV" --interface "$DST_IF" --results-dir "$WORK/recv" >"$WORK/recv.out" 2>&1 &
RECV_PID=$!
"$EBT_SOURCE_DIR/tools/testbed.sh" wait-listen 8080 "$RECV_PID" || fail "xdp-recv not listening"
# A generator with a secret refuses this receiver without one: both say so.
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
outsider=$(ip netns exec "$SRC_NS" $PY - <<'PY'
import json, socket, struct, sys
s = socket.create_connection(("192.0.2.2", 8080), timeout=5, source_address=("192.0.2.1", 0))
b = json.dumps({"type": "hello", "protocol_version": 2, "role": "generator", "software": "test"}).encode()
s.sendall(struct.pack(">I", len(b)) + b)
def read(n):
    out = b""
    while len(out) < n:
        c = s.recv(n - len(out))
        if not c:
            sys.exit("closed")
        out += c
    return out
m = json.loads(read(struct.unpack(">I", read(4))[0]))
print(m["type"], m.get("code"))
PY
) || fail "outside client got no answer"
[[ "$outsider" == "error auth_required" ]] || fail "outside address without a secret: '$outsider', expected 'error auth_required'"
recv_auth_failed "this receiver has no shared secret and accepts only loopback" 192.0.2.1
ip netns exec "$SRC_NS" ip addr del 192.0.2.1/24 dev "$SRC_IF"
ip netns exec "$DST_NS" ip addr del 192.0.2.2/24 dev "$DST_IF"
gen_bg Kept --rate 1000 --duration 1
wait "$GEN_PID" || { cat "$WORK/gen-Kept.out" >&2; fail "dpdk-gen failed the kept test"; }
kept=$(only_dir "$WORK/gen-Kept/two_machine")/results.json
id=$(json_field "$kept" 'd["test"]["id"]')
received=$(json_field "$kept" 'd["receiver"]["test_packets"]')
fetch() {  # fetch TEST_ID -> "results <test_packets>" or "error <code>"
  ip netns exec "$SRC_NS" $PY - "$DST_IP" "$1" <<'PY'
import os, sys
sys.path.insert(0, os.environ["EBT_SOURCE_DIR"] + "/tests/integration")
from control_client import Control, hello as generator_hello
c = Control(sys.argv[1])
send, recv = c.send, c.recv
send(generator_hello())
assert recv()["type"] == "hello"
send({"type": "fetch_results", "test_id": int(sys.argv[2])})
m = recv()
print(("results %d" % m["receiver"]["test_packets"]) if m["type"] == "results" else ("error " + m["code"]))
PY
}
[[ $(fetch "$id") == "results $received" ]] || fail "fetch_results of test $id: $(fetch "$id")"
[[ $(fetch $(((id + 1) % 65536))) == "error not_found" ]] || fail "fetch_results of an unknown test"
kill -TERM "$RECV_PID"; wait "$RECV_PID" || true; RECV_PID=""
assert_no_xdp
echo "PASS control failures"
