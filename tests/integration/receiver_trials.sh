#!/usr/bin/env bash
# Several trials on one control connection (protocol.hpp): a hand-written
# controller runs three tests A, B, C on one connection, sending the test
# packets itself (UDP datagrams with the test header, from the source
# namespace): each trial counts exactly its own packets, A's packets sent
# during B are B's stale packets, each trial writes its results directory;
# between trials /status says between_trials and a second controller is told
# busy with the last test; after end the receiver closes the connection and
# serves the next controller (dpdk-gen, one normal test).  A repeated test id
# is refused (bad_request naming both), an incomplete trial ends the session,
# and a controller that goes silent after a trial (heartbeats only) is let go
# after kBetweenTrialsTimeout.
# Each trial's XDP reload cost (configure -> ready) is printed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/control_lib.sh"
# The hand-written client speaks the protocol without authenticating (the
# testbed's 198.18.0.0/15 is allowed without a secret).
unset EBT_TOKEN

testbed_up
# Not --once: it serves the trial session, then the next controllers.
ip netns exec "$DST_NS" "$XDP_RECV" --interface "$DST_IF" --results-dir "$WORK/recv" \
  >"$WORK/recv.out" 2>&1 &
RECV_PID=$!
"$EBT_SOURCE_DIR/tools/testbed.sh" wait-listen 8080 "$RECV_PID" || { cat "$WORK/recv.out" >&2; fail "xdp-recv not listening"; }

client() { ip netns exec "$SRC_NS" $PY - "$@"; }
CLIENT_PRELUDE='import json, os, socket, sys, time, urllib.request
sys.path.insert(0, os.environ["EBT_SOURCE_DIR"] + "/tests/integration")
from control_client import Control, hello, configure, send_test_packets'

# The receiver's results.json of test ID (exactly one directory holds it).
recv_results_of() {
  local f found=()
  for f in "$WORK"/recv/receiver/*/results.json; do
    [[ $($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["test"]["id"])' "$f") == "$1" ]] && found+=("$f")
  done
  ((${#found[@]} == 1)) || fail "expected one receiver results directory of test $1, got ${#found[@]}: ${found[*]}"
  echo "${found[0]}"
}

# --- 1. Three trials on one connection.
N=100 M=40 A=1101 B=1102 C=1103
client "$DST_IP" "$N" "$M" "$A" "$B" "$C" >"$WORK/trials.out" 2>&1 <<PY || { cat "$WORK/trials.out" "$WORK/recv.out" >&2; fail "trial session"; }
$CLIENT_PRELUDE
host, n, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ids = [int(x) for x in sys.argv[4:7]]
c = Control(host, timeout=20)
c.send(hello())
h = c.recv()
assert h["type"] == "hello" and "trials" in h["capabilities"], h
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)   # one socket: the packets keep their order

def status():
    return json.load(urllib.request.urlopen(f"http://{host}:8080/status", timeout=5))

for k, tid in enumerate(ids):
    c.send(configure(tid, f"trial_{k}", test_config={"duration": 5}, traffic_config={"flows": 1}))
    r = c.expect("ready")
    assert r["test_id"] == tid, r
    c.send({"type": "start", "test_id": tid})
    assert c.expect("started")["test_id"] == tid
    if k == 1:   # stragglers of trial A first, then B's own packets
        send_test_packets(host, ids[0], m, first_seq=1000, sock=udp)
    send_test_packets(host, tid, n, sock=udp)
    c.send({"type": "stop", "test_id": tid, "sent_packets": n})
    res = c.expect("results")
    assert res["test_id"] == tid, res
    rr = res["receiver"]
    print("trial", tid, rr["test_packets"], rr["stale_packets"], rr["flows"][0]["lost"])
    if k == 0:
        # Between trials (once this side released the program): /status
        # says so, a second controller is told busy with the last test.
        for _ in range(200):
            st = status()
            if st["state"] == "between_trials":
                break
            time.sleep(0.01)
        print("status", st["state"], st["test_id"])
        second = Control(host)
        second.send(hello())
        b = second.recv()
        print("second", b["type"], b.get("code"), b.get("test_id"), second.closed())
        c.send({"type": "heartbeat", "t_ns": 1})           # ignored between trials
        c.send({"type": "time_request", "t1": 5})          # answered between trials
        t = c.expect("time_reply")
        assert t["t1"] == 5, t
c.send({"type": "end"})
print("after_end", c.ending())
PY
cat "$WORK/trials.out"
for t in "$A 0" "$B $M" "$C 0"; do
  set -- $t
  grep -qx "trial $1 $N $2 0" "$WORK/trials.out" || fail "trial $1: expected $N test packets, $2 stale, 0 lost; got '$(grep "^trial $1 " "$WORK/trials.out")'"
done
grep -qx "status between_trials $A" "$WORK/trials.out" || fail "/status between trials: $(grep '^status' "$WORK/trials.out")"
grep -qx "second error busy $A closed" "$WORK/trials.out" || fail "a second controller between trials: $(grep '^second' "$WORK/trials.out"), expected 'error busy $A closed'"
grep -qx "after_end fin" "$WORK/trials.out" || fail "after end: $(grep '^after_end' "$WORK/trials.out"), expected the receiver to close the connection (FIN)"
# Each trial wrote its own results directory: complete, exactly its packets.
[[ $(find "$WORK/recv/receiver" -mindepth 1 -maxdepth 1 -type d | wc -l) -eq 3 ]] || fail "expected 3 receiver results directories: $(ls "$WORK/recv/receiver")"
for t in "$A 0" "$B $M" "$C 0"; do
  set -- $t
  f=$(recv_results_of "$1")
  $CHECK_RECV "$(dirname "$f")" --status complete --test-packets "$N" >/dev/null || fail "results of trial $1"
  [[ $(json_field "$f" 'd["receiver"]["stale_packets"]') -eq $2 ]] || fail "trial $1's results: stale_packets $(json_field "$f" 'd["receiver"]["stale_packets"]'), expected $2"
done
grep -q "after test $C: the generator ended the session" "$WORK/recv.out" || fail "the end of the session is not logged"
assert_no_xdp
kill -0 "$RECV_PID" 2>/dev/null || fail "xdp-recv ended after the trial session"
# The last trial's results are kept for a fetch; the earlier ones are not.
fetched=$(client "$DST_IP" "$A" "$C" <<PY
$CLIENT_PRELUDE
for tid in sys.argv[2:4]:
    c = Control(sys.argv[1])
    c.send(hello())
    assert c.recv()["type"] == "hello"
    c.send({"type": "fetch_results", "test_id": int(tid)})
    m = c.recv()
    print(tid, ("results %d %d" % (m["test_id"], m["receiver"]["test_packets"])) if m["type"] == "results" else ("error " + m["code"]))
PY
) || fail "fetch_results after the trials: $fetched"
[[ "$(echo $fetched)" == "$A error not_found $C results $C $N" ]] || fail "fetch_results after the trials: '$(echo $fetched)', expected the last trial's ($C) only"
echo "ok 1: three trials on one connection: each counted its $N packets, A's $M stragglers stale in B; 3 results directories; end closed it; the last trial's results fetched"
ready_ms=$(grep -o "ready [0-9.]* ms after configure" "$WORK/recv.out" | cut -d' ' -f2 | paste -sd' ')
echo "    configure -> ready (XDP load + attach) per trial: $ready_ms ms"

# --- 2. A repeated test id: the second configure is refused, naming both ids.
reply=$(client "$DST_IP" <<PY
$CLIENT_PRELUDE
c = Control(sys.argv[1], timeout=20)
c.send(hello())
assert c.recv()["type"] == "hello"
for tid in (1201, 1201):
    c.send(configure(tid, "repeat", test_config={"duration": 5}, traffic_config={"flows": 1}))
    m = c.recv()
    while m["type"] in ("heartbeat", "sample"):
        m = c.recv()
    if m["type"] != "ready":
        break
    c.send({"type": "start", "test_id": tid})
    c.expect("started")
    c.send({"type": "stop", "test_id": tid, "sent_packets": 0})
    c.expect("results")
print(m["type"], m.get("code"), c.closed(), "|", m.get("reason"))
PY
) || fail "repeated test id client: $reply"
[[ "$reply" == "error bad_request closed | configure: test_id 1201 repeats the previous test's id 1201"* ]] ||
  fail "a repeated test id: '$reply', expected error bad_request naming both ids, then the connection closed"
echo "ok 2: a repeated test id refused: ${reply#*| }"

# --- 2b. An incomplete trial (the generator was interrupted) ends the session
#         as a single test does: results, then the receiver closes.
reply=$(client "$DST_IP" <<PY
$CLIENT_PRELUDE
c = Control(sys.argv[1], timeout=20)
c.send(hello())
assert c.recv()["type"] == "hello"
c.send(configure(1251, "interrupted", test_config={"duration": 5}, traffic_config={"flows": 1}))
c.expect("ready")
c.send({"type": "start", "test_id": 1251})
c.expect("started")
c.send({"type": "stop", "test_id": 1251, "sent_packets": 0, "incomplete_reason": "interrupted by SIGINT"})
c.expect("results")
print(c.ending())
PY
) || fail "incomplete trial client: $reply"
[[ "$reply" == fin ]] || fail "after an incomplete trial: '$reply', expected the receiver to end the session (FIN)"
[[ $(status_of "$(recv_results_of 1251)") == "incomplete|generator: interrupted by SIGINT" ]] ||
  fail "the interrupted trial: $(status_of "$(recv_results_of 1251)")"
echo "ok 2b: an incomplete trial ends the session"

# --- 3. Silent after a trial (heartbeats only): the session ends after
#        kBetweenTrialsTimeout (10 s; bounded here by 15 s), logged, not an error.
reply=$(client "$DST_IP" <<PY
$CLIENT_PRELUDE
c = Control(sys.argv[1], timeout=20)
c.send(hello())
assert c.recv()["type"] == "hello"
c.send(configure(1301, "silent", test_config={"duration": 5}, traffic_config={"flows": 1}))
c.expect("ready")
c.send({"type": "start", "test_id": 1301})
c.expect("started")
c.send({"type": "stop", "test_id": 1301, "sent_packets": 0})
c.expect("results")
t0 = time.monotonic()
while True:   # a heartbeat a second: they do not keep the session open
    c.send({"type": "heartbeat", "t_ns": 1})
    state = c.closed(timeout=1)
    if state != "open" or time.monotonic() - t0 > 15:
        break
print(state, "%.1f" % (time.monotonic() - t0))
PY
) || fail "silent client: $reply"
read -r s_state s_after <<<"$reply"
[[ $s_state == closed ]] || fail "silent between trials: '$reply', expected the receiver to close the connection"
$PY -c 'import sys; sys.exit(not 9.5 <= float(sys.argv[1]) <= 15)' "$s_after" ||
  fail "silent between trials: closed after $s_after s, expected kBetweenTrialsTimeout (10 s)"
grep -q "after test 1301: no next trial within 10 s: session ended" "$WORK/recv.out" || fail "the between-trials timeout is not logged"
[[ $(json_field "$(recv_results_of 1301)" 'd["test"]["status"]') == complete ]] || fail "the silent session's trial is not complete"
echo "ok 3: silent after a trial: closed after $s_after s"

# --- 4. The next controller: dpdk-gen runs one normal test.
gen_in_src --vdev "net_af_packet0,iface=$SRC_IF" -- --dst-ip "$DST_IP" --rate 1000 --duration 1 \
  --name after_trials --results-dir "$WORK/gen" >"$WORK/gen.out" 2>&1 ||
  { cat "$WORK/gen.out" "$WORK/recv.out" >&2; fail "dpdk-gen after the trial sessions failed"; }
$CHECK "$(only_dir "$WORK/gen/two_machine")" --status complete >/dev/null || fail "dpdk-gen after the trial sessions: results"
# Its session ended normally (by its end message or its closing the connection).
gen_id=$(json_field "$(only_dir "$WORK/gen/two_machine")/results.json" 'd["test"]["id"]')
grep -Eq "after test $gen_id: the generator (ended the session|closed the connection)" "$WORK/recv.out" ||
  fail "dpdk-gen's session did not end normally"
assert_no_xdp
kill -TERM "$RECV_PID"; wait "$RECV_PID" || true; RECV_PID=""
echo "ok 4: dpdk-gen's test after the trial sessions completes"
echo "    configure -> ready, every test of this run: $(grep -o "ready [0-9.]* ms after configure" "$WORK/recv.out" | cut -d' ' -f2 | paste -sd' ') ms"
echo "PASS receiver trials"
