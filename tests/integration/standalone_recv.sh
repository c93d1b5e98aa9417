#!/usr/bin/env bash
# xdp-recv --no-coordination: counts dpdk-gen's test packets (whatever their
# test id) without a control connection, counts foreign packets per 5-tuple,
# passes them by default (a UDP listener on the host gets them), drops them
# when asked (the listener gets none), and
# writes a valid results directory; nothing stays attached.
source "$(dirname "$0")/lib.sh"

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

# udp_listener FILE: counts datagrams to DST_IP:7777 until 3 s of silence,
# then writes the count to FILE; returns once the port is bound.
udp_listener() {
  ip netns exec "$DST_NS" "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 7777))
open(sys.argv[2] + ".bound", "w").close()
s.settimeout(3.0)
n = 0
try:
    while True:
        s.recv(2048); n += 1
except socket.timeout:
    pass
open(sys.argv[2], "w").write(str(n))' "$DST_IP" "$1" &
  LISTENER_PID=$!
  for _ in $(seq 100); do [[ -e "$1.bound" ]] && return 0; sleep 0.05; done
  fail "UDP listener did not bind"
}
send_udp() {  # send_udp PORT... : one 32-byte datagram to each, from port 40404
  ip netns exec "$SRC_NS" "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 40404))
for p in sys.argv[2:]: s.sendto(b"x" * 32, (sys.argv[1], int(p)))' "$DST_IP" "$@"
}

ip netns exec "$DST_NS" "$XDP_RECV" --interface "$DST_IF" --results-dir "$WORK/recv" \
  --no-coordination --duration 6 --foreign-tuples 16 >"$WORK/recv.out" 2>&1 &
RECV_PID=$!
wait_attached
gen_in_src --vdev "net_af_packet0,iface=$SRC_IF" -- --no-coordination --dst-mac "$DST_MAC" \
  --dst-ip "$DST_IP" --rate 2000 --duration 1 --flows 3 --size 64 --name Standalone \
  --results-dir "$WORK/gen" >"$WORK/gen.out" 2>&1 || { cat "$WORK/gen.out" >&2; fail "dpdk-gen failed"; }
# Foreign traffic: 5 UDP datagrams to a listener on the host, which must get
# them all (foreign-action pass harms nothing).
udp_listener "$WORK/pass.count"
send_udp 7777 7777 7777 7777 7777
wait "$LISTENER_PID" || true
[[ $(cat "$WORK/pass.count") == 5 ]] || fail "the host got $(cat "$WORK/pass.count") of 5 datagrams with foreign-action pass"
wait "$RECV_PID" || { cat "$WORK/recv.out" >&2; fail "xdp-recv --no-coordination exited non-zero"; }
RECV_PID=""
assert_no_xdp

rdir=$(only_dir "$WORK/recv/receiver")
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
"$PY" - "$rdir/results.json" "$EBT_SOURCE_DIR/schema/results.schema.json" <<'PY' || fail "receiver results.json schema"
import json, sys, jsonschema
doc, schema = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
rx_schema = {"$defs": schema["$defs"], **schema["properties"]["receiver"]}
jsonschema.validate(doc["receiver"], rx_schema, cls=jsonschema.Draft202012Validator)
PY

# --foreign-action drop: the host's own traffic is dropped (the listener
# gets nothing), and a tuple limit of 1 sums the rest in the overflow.
rm -rf "$WORK/recv"
ip netns exec "$DST_NS" "$XDP_RECV" --interface "$DST_IF" --results-dir "$WORK/recv" \
  --no-coordination --duration 3 --foreign-action drop --foreign-tuples 1 >"$WORK/recv.out" 2>&1 &
RECV_PID=$!
wait_attached
# A permanent neighbour entry: the datagrams go out without ARP.
ip netns exec "$SRC_NS" ip neigh replace "$DST_IP" lladdr "$DST_MAC" dev "$SRC_IF" nud permanent
udp_listener "$WORK/drop.count"
send_udp 7777 7001 7002 7003
wait "$LISTENER_PID" || true
[[ $(cat "$WORK/drop.count") == 0 ]] || fail "the host got $(cat "$WORK/drop.count") datagrams with foreign-action drop"
wait "$RECV_PID" || { cat "$WORK/recv.out" >&2; fail "second run exited non-zero"; }
RECV_PID=""
assert_no_xdp
rdir=$(only_dir "$WORK/recv/receiver")
$PY - "$rdir/results.json" <<'PY' || fail "foreign drop / overflow accounting"
import json, sys
rx = json.load(open(sys.argv[1]))["receiver"]
fo = rx["foreign"]
ok = fo["action"] == "drop" and len(fo["tuples"]) == 1 and fo["overflow_packets"] >= 3 \
     and fo["tuples"][0]["packets"] + fo["overflow_packets"] == rx["other_packets"]
print("foreign:", fo["tuples"], fo["overflow_packets"], rx["other_packets"])
sys.exit(0 if ok else 1)
PY
echo "PASS standalone receiving"
