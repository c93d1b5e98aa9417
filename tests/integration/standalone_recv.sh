#!/usr/bin/env bash
# xdp-recv --no-coordination: counts dpdk-gen's test packets (whatever their
# test id) without a control connection, counts foreign packets per 5-tuple,
# passes them by default (a UDP listener on the host gets them), drops them
# when asked (the listener gets none), serves /health, /status and /metrics
# on the control port while counting (live counts), names the test and its
# results directory after --name or else the mode, and
# writes a valid results directory; nothing stays attached.
source "$(dirname "$0")/lib.sh"

# --name: a bad value or one without --no-coordination is one line naming
# the flag, exit 2, nothing written.
bad_name() {  # bad_name EXPECTED-TEXT ARGS...
  local want=$1 rc=0; shift
  "$XDP_RECV" --interface lo --results-dir "$WORK/bad" "$@" >"$WORK/bad.out" 2>&1 || rc=$?
  [[ $rc -eq 2 && $(wc -l <"$WORK/bad.out") -eq 1 ]] && grep -qF -- "$want" "$WORK/bad.out" \
    || fail "xdp-recv $*: exit $rc, $(cat "$WORK/bad.out")"
  [[ ! -e "$WORK/bad" ]] || fail "xdp-recv $* created a results directory"
}
bad_name "--name: expected a non-empty string" --no-coordination --name ""
bad_name "--name: only with --no-coordination" --name X

testbed_up
DST_MAC=$(ip netns exec "$DST_NS" cat "/sys/class/net/$DST_IF/address")

wait_attached() {  # bounded wait until xdp-recv's program is on the interface
  for _ in $(seq 100); do
    ip netns exec "$DST_NS" ip -d link show "$DST_IF" | grep -q 'prog/xdp' && return 0
    kill -0 "$RECV_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$WORK/recv.out" >&2; fail "xdp-recv did not attach"
}

# udp_listener FILE N: counts datagrams to DST_IP:7777 until it has N of
# them, or (N 0) until FILE.stop exists and nothing more is queued, at most
# 30 s; then writes the count to FILE.  Returns once the port is bound.
udp_listener() {
  rm -f "$1" "$1.bound" "$1.stop"
  bg_start ip netns exec "$DST_NS" "$PY" -c '
import os, socket, sys, time
path, want = sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 7777))
open(path + ".bound", "w").close()
s.settimeout(0.05)
n, end = 0, time.monotonic() + 30
while time.monotonic() < end and not (want and n >= want):
    try:
        s.recv(2048)
        n += 1
    except socket.timeout:
        if os.path.exists(path + ".stop"):
            break
open(path, "w").write(str(n))' "$DST_IP" "$1" "$2"
  LISTENER_PID=$BG_PID
  wait_until 10 "the UDP listener binding its port" test -e "$1.bound"
}
http_get() {  # http_get PATH -> body from the receiver's control port (fails on non-200)
  if command -v curl >/dev/null; then
    ip netns exec "$DST_NS" curl -sSf --max-time 5 "http://$DST_IP:8080$1"
  else
    ip netns exec "$DST_NS" "$PY" -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode(), end="")' "http://$DST_IP:8080$1"
  fi
}
# wait_status PYTHON-EXPR: bounded wait (20 s) until the expression over /status
# (s = the document) holds; the last document is in $WORK/status.json.
wait_status() {
  for _ in $(seq 200); do
    http_get /status >"$WORK/status.json" 2>/dev/null \
      && "$PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' \
           "$WORK/status.json" "$1" && return 0
    kill -0 "$RECV_PID" 2>/dev/null || break
    sleep 0.1
  done
  fail "/status never satisfied: $1 (last: $(cat "$WORK/status.json" 2>/dev/null))"
}
# name_of DIR: the results' test name
name_of() { result_get "$1" test.name; }

send_udp() {  # send_udp PORT... : one 32-byte datagram to each, from port 40404
  ip netns exec "$SRC_NS" "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 40404))
for p in sys.argv[2:]: s.sendto(b"x" * 32, (sys.argv[1], int(p)))' "$DST_IP" "$@"
}

# Until SIGTERM (no --duration): the HTTP checks below take what they take.
ip netns exec "$DST_NS" "$XDP_RECV" --interface "$DST_IF" --results-dir "$WORK/recv" \
  --no-coordination --foreign-tuples 16 >"$WORK/recv.out" 2>&1 &
RECV_PID=$!
wait_attached
"$EBT_SOURCE_DIR/tools/testbed.sh" wait-listen 8080 "$RECV_PID" || fail "no HTTP on the control port"
gen_in_src --vdev "net_af_packet0,iface=$SRC_IF" -- --no-coordination --dst-mac "$DST_MAC" \
  --dst-ip "$DST_IP" --rate 2000 --duration 1 --flows 3 --size 64 --name Standalone \
  --results-dir "$WORK/gen" >"$WORK/gen.out" 2>&1 || { cat "$WORK/gen.out" >&2; fail "dpdk-gen failed"; }
# Foreign traffic: 5 UDP datagrams to a listener on the host, which must get
# them all (foreign-action pass harms nothing).
udp_listener "$WORK/pass.count" 5
send_udp 7777 7777 7777 7777 7777
wait "$LISTENER_PID" || true
[[ $(cat "$WORK/pass.count") == 5 ]] || fail "the host got $(cat "$WORK/pass.count") of 5 datagrams with foreign-action pass"

# HTTP while counting: the live count reaches the 2000 sent, the state is
# running, the name is the mode's, no test id (any counts); the CPU figures
# become known once the monitor has a 2 s window.
wait_status 's["state"] == "running" and s["received_packets"] == 2000'
wait_status '0 <= s["receive_path_cpu_pct"] <= 100 and 0 <= s["host_cpu_busy_pct"] <= 100'
"$PY" - "$WORK/status.json" <<'PY' || fail "/status during the standalone run: $(cat "$WORK/status.json")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["role"] == "receiver" and s["test_id"] is None and s["test_name"] == "standalone_xdp", s
assert s["lost"] == 0 and s["elapsed_s"] > 0 and s["xdp_mode"] in ("native", "generic"), s
PY
http_get /health >"$WORK/health.json" || fail "GET /health"
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["status"] in ("ok","degraded") and d["state"] == "running" and d["checks"], d' \
  "$WORK/health.json" || fail "/health: $(cat "$WORK/health.json")"
# The per-flow state (lost, flow series) follows within 10 s of the last packet.
wait_status 's["lost"] == 0 and s["received_packets"] == 2000' >/dev/null
for _ in $(seq 200); do
  http_get /metrics >"$WORK/metrics.txt" || fail "GET /metrics"
  grep -qF 'ebt_flow_rx_packets_total{role="receiver",flow="2"}' "$WORK/metrics.txt" && break
  sleep 0.1
done
promtool check metrics <"$WORK/metrics.txt" >/dev/null 2>&1 || { promtool check metrics <"$WORK/metrics.txt"; fail "promtool rejects /metrics"; }
for line in 'ebt_test_running{role="receiver"} 1' 'ebt_rx_packets_total{role="receiver"} 2000' \
            'ebt_flow_rx_packets_total{role="receiver",flow="2"}' 'ebt_receive_path_cpu_percent{role="receiver"}' \
            'ebt_host_cpu_busy_percent{role="receiver"}'; do
  grep -qF "$line" "$WORK/metrics.txt" || fail "/metrics has no '$line'"
done
kill -TERM "$RECV_PID"
wait "$RECV_PID" || { cat "$WORK/recv.out" >&2; fail "xdp-recv --no-coordination exited non-zero after SIGTERM"; }
RECV_PID=""
assert_no_xdp

rdir=$(only_dir "$WORK/recv/receiver")
# Named after the mode (no --name): the results and their directory.
[[ $(name_of "$rdir") == standalone_xdp && "$rdir" == *_standalone_xdp ]] || fail "not named after the mode: $rdir $(name_of "$rdir")"
[[ -f "$rdir/xdp-recv.log" && -f "$rdir/raw_data/rx_samples.csv" && -f "$rdir/raw_data/system_cpu.csv" ]] \
  || fail "receiver results incomplete in $rdir"
$PY - "$rdir/results.json" "$SRC_IP" "$DST_IP" <<'PY' || fail "standalone accounting"
import json, sys
doc = json.load(open(sys.argv[1]))
rx, src, dst = doc["receiver"], sys.argv[2], sys.argv[3]
bad = []
if doc["test"]["status"] != "complete" or doc["test"]["coordinated"]:
    bad.append(f"test: {doc['test']}")
if rx["test_packets"] != 2000:
    bad.append(f"test_packets {rx['test_packets']} != 2000")
flows = {f["flow_id"]: f for f in rx["flows"]}
if sorted(flows) != [0, 1, 2] or sum(f["packets"] for f in flows.values()) != 2000:
    bad.append(f"flows: {sorted(flows)}")
for f in flows.values():
    if f["lost"] or f["duplicates"] or f["reordered"]:
        bad.append(f"flow {f['flow_id']}: {f}")
fo = rx["foreign"]
udp = [t for t in fo["tuples"] if t["proto"] == 17 and t["dport"] == 7777]
if len(udp) != 1 or udp[0]["packets"] != 5 or udp[0]["src"] != src or udp[0]["dst"] != dst or udp[0]["sport"] != 40404:
    bad.append(f"foreign UDP tuple: {udp}")
if fo["action"] != "pass" or fo["tuple_limit"] != 16:
    bad.append(f"foreign: {fo['action']} {fo['tuple_limit']}")
arp = [t for t in fo["tuples"] if t["ethertype"] == 0x0806]
if not arp or arp[0]["src"] or arp[0]["proto"]:
    bad.append(f"ARP tuple (non-IP: ethertype only): {arp}")
if sum(t["packets"] for t in fo["tuples"]) + fo["overflow_packets"] != rx["other_packets"]:
    bad.append("foreign tuples + overflow != other_packets")
if rx["latency"] is not None:
    bad.append("latency without an epoch")
if rx["system"] is None or len(rx["system"]["samples"]) < 2:
    bad.append("system monitor missing")
for b in bad: print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
# The whole results.json against the schema (check_receiver.py).
$CHECK_RECV "$rdir" --status complete --test-packets 2000 --flows 3 --lossless || fail "receiver results check"

# --foreign-action drop: the host's own traffic is dropped (the listener
# gets nothing), and a tuple limit of 1 sums the rest in the overflow.  No
# --duration: SIGINT ends the run once the veth has taken the datagrams
# (native XDP on a veth: its rx_packets counts a frame after the program
# has run on it), so no window to fit the sends into.
rm -rf "$WORK/recv"
ip netns exec "$DST_NS" "$XDP_RECV" --interface "$DST_IF" --results-dir "$WORK/recv" \
  --no-coordination --foreign-action drop --foreign-tuples 1 --name Drop-Run.1 >"$WORK/recv.out" 2>&1 &
RECV_PID=$!
wait_attached
# A permanent neighbour entry: the datagrams go out without ARP.
ip netns exec "$SRC_NS" ip neigh replace "$DST_IP" lladdr "$DST_MAC" dev "$SRC_IF" nud permanent
rx_packets() { ip netns exec "$DST_NS" cat "/sys/class/net/$DST_IF/statistics/rx_packets"; }
rx_at_least() { (($(rx_packets) >= $1)); }
rx0=$(rx_packets)
udp_listener "$WORK/drop.count" 0
send_udp 7777 7001 7002 7003
wait_until 20 "$DST_IF taking the 4 datagrams (rx_packets from $rx0)" rx_at_least $((rx0 + 4))
kill -INT "$RECV_PID"
wait_until 10 "xdp-recv exiting after SIGINT" eval '! proc_alive "$RECV_PID"'
rc=0; wait "$RECV_PID" || rc=$?
RECV_PID=""
# Standalone without --duration: SIGINT is the normal end (exit 0, complete).
[[ $rc -eq 0 ]] || { cat "$WORK/recv.out" >&2; fail "second run: exit $rc after SIGINT, expected 0"; }
touch "$WORK/drop.count.stop"
wait "$LISTENER_PID" || true
[[ $(cat "$WORK/drop.count") == 0 ]] || fail "the host got $(cat "$WORK/drop.count") datagrams with foreign-action drop"
assert_no_xdp
rdir=$(only_dir "$WORK/recv/receiver")
# --name: the results' name as given, the directory's suffix sanitised.
[[ $(name_of "$rdir") == Drop-Run.1 && "$rdir" == *_Drop-Run_1 ]] || fail "not named after --name: $rdir $(name_of "$rdir")"
$PY - "$rdir/results.json" <<'PY' || fail "foreign drop / overflow accounting"
import json, sys
doc = json.load(open(sys.argv[1]))
rx = doc["receiver"]
fo = rx["foreign"]
ok = doc["test"]["status"] == "complete" and fo["action"] == "drop" and len(fo["tuples"]) == 1 \
     and fo["overflow_packets"] >= 3 and fo["tuples"][0]["packets"] + fo["overflow_packets"] == rx["other_packets"]
print("status:", doc["test"]["status"], "foreign:", fo["tuples"], fo["overflow_packets"], rx["other_packets"])
sys.exit(0 if ok else 1)
PY
$CHECK_RECV "$rdir" --status complete --test-packets 0 || fail "receiver results check (drop run)"

# --mode baseline without --name: named standalone_baseline.  No traffic
# needed: counting starts, SIGTERM ends the run, complete.
rm -rf "$WORK/recv"
ip netns exec "$DST_NS" "$XDP_RECV" --interface "$DST_IF" --results-dir "$WORK/recv" \
  --mode baseline --no-coordination >"$WORK/recv.out" 2>&1 &
RECV_PID=$!
"$EBT_SOURCE_DIR/tools/testbed.sh" wait-listen 8080 "$RECV_PID" || fail "no HTTP on the control port (baseline)"
wait_status 's["state"] == "running" and s["test_name"] == "standalone_baseline"'
kill -TERM "$RECV_PID"
wait "$RECV_PID" || { cat "$WORK/recv.out" >&2; fail "baseline standalone run exited non-zero"; }
RECV_PID=""
rdir=$(only_dir "$WORK/recv/receiver")
[[ $(name_of "$rdir") == standalone_baseline && "$rdir" == *_standalone_baseline ]] \
  || fail "baseline not named after the mode: $rdir $(name_of "$rdir")"

# The HTTP port taken: exit 3 naming it, before anything is attached or written.
rm -rf "$WORK/recv"
# The holder keeps the port until killed (lib.sh's cleanup ends it on every path).
bg_start ip netns exec "$DST_NS" "$PY" -c '
import signal, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)   # past the earlier runs TIME_WAIT sockets
s.bind(("0.0.0.0", 8080)); s.listen(1)
open(sys.argv[1] + ".held", "w").close()
signal.pause()' "$WORK/port"
HOLDER_PID=$BG_PID
wait_until 10 "holding port 8080" test -e "$WORK/port.held"
rc=0
ip netns exec "$DST_NS" "$XDP_RECV" --interface "$DST_IF" --results-dir "$WORK/recv" \
  --no-coordination --duration 1 >"$WORK/recv.out" 2>&1 || rc=$?
kill "$HOLDER_PID"; wait "$HOLDER_PID" 2>/dev/null || true
[[ $rc -eq 3 ]] || { cat "$WORK/recv.out" >&2; fail "port taken: exit $rc, expected 3"; }
grep -q "control port.*8080" "$WORK/recv.out" || fail "port taken: not named: $(cat "$WORK/recv.out")"
[[ ! -e "$WORK/recv" ]] || fail "port taken: a results directory was created"
assert_no_xdp
echo "PASS standalone receiving"
