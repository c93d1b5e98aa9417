#!/usr/bin/env bash
# xdp-recv --mode baseline (userspace recvmmsg on UDP sockets, no XDP) counts
# the same traffic exactly as the XDP program does:
#   1. bad --mode / --recv-threads values: exit 2, one line naming the flag;
#   2. coordinated, dpdk-gen with --test-seq-faults (skips, a duplicate, a
#      swap), once in baseline mode and once in XDP mode: each report matches
#      the known faults per flow, and the two reports agree field for field
#      (packets, bytes, lost, reordered, duplicates, late, totals, latency
#      sample counts);
#   3. standalone baseline (--no-coordination): test packets of any test id
#      counted by flow; garbage datagrams on the socket (empty, short, wrong
#      magic) counted as other, nothing crashes; nothing stays attached;
#   4. IPv6 (ip_version 6): the same faults counted exactly, bytes exact.
source "$(dirname "$0")/lib.sh"

# --- 1. bad flags (no testbed needed: rejected before anything else) ---
expect_exit2() {  # expect_exit2 WORD ARGS...: exit 2 and one line naming WORD
  local word=$1 rc=0
  shift
  "$XDP_RECV" --interface lo "$@" >"$WORK/bad.out" 2>&1 || rc=$?
  [[ $rc -eq 2 ]] || { cat "$WORK/bad.out" >&2; fail "xdp-recv $* exited $rc, expected 2"; }
  grep -q -- "$word" "$WORK/bad.out" || { cat "$WORK/bad.out" >&2; fail "xdp-recv $*: message does not name $word"; }
  [[ $(wc -l <"$WORK/bad.out") -eq 1 ]] || { cat "$WORK/bad.out" >&2; fail "xdp-recv $*: more than one line"; }
}
expect_exit2 --mode --mode foo
expect_exit2 --mode --mode Baseline
expect_exit2 --recv-threads --recv-threads 2
expect_exit2 --recv-threads --mode baseline --recv-threads 0
expect_exit2 --recv-threads --mode baseline --recv-threads x
expect_exit2 --test-action --mode baseline --test-action tx
[[ ! -e "$WORK/recv" ]] || fail "a results directory was created for bad flags"

testbed_up
# Flow 0: 10, 20, 21 skipped -> lost 3.  Flow 1: 5 twice -> duplicates 1.
# Flow 2: 7 and 8 swapped -> reordered 1.  Flow 3: untouched.  500 frames each.
FAULTS=$($PY "$EBT_SOURCE_DIR/tests/integration/seq_faults_expect.py")

run_mode() {  # run_mode MODE [xdp-recv args]: one coordinated run; leaves $WORK/MODE.json
  local mode=$1
  shift
  start_receiver --mode "$mode" "$@"
  gen_in_src --vdev "net_af_packet0,iface=$SRC_IF" -- \
    --dst-ip "$DST_IP" --rate 2000 --duration 1 --flows 4 --size 64 --name "Baseline_$mode" \
    --test-seq-faults "$FAULTS" --results-dir "$WORK/gen-$mode" >"$WORK/gen.out" 2>&1 \
    || { cat "$WORK/gen.out" "$WORK/recv.out" >&2; fail "dpdk-gen failed ($mode)"; }
  wait "$RECV_PID" || { cat "$WORK/recv.out" >&2; fail "xdp-recv --once --mode $mode exited non-zero"; }
  RECV_PID=""
  assert_no_xdp
  local gdir rdir
  gdir=$(only_dir "$WORK/gen-$mode/two_machine")
  $CHECK "$gdir" --status complete --sent 2000 --flows 4 || fail "results check ($mode)"
  rdir=$(only_dir "$WORK/recv/receiver")
  $CHECK_RECV "$rdir" --status complete --flows 4 --same-as "$gdir" || fail "receiver results check ($mode)"
  cp "$rdir/results.json" "$WORK/$mode.json"
  cp "$gdir/results.md" "$WORK/$mode.md"
  mv "$WORK/recv" "$WORK/recv-$mode"
}

run_mode baseline --recv-threads 2
run_mode xdp
grep -q "Mode: baseline" "$WORK/baseline.md" || fail "results.md does not state the baseline mode"
grep -q "ns per received test packet" "$WORK/baseline.md" || fail "results.md has no busy CPU per packet"

$PY - "$WORK/baseline.json" "$WORK/xdp.json" <<'PY' || fail "baseline and XDP accounting differ"
import json, os, sys
sys.path.insert(0, os.path.join(os.environ["EBT_SOURCE_DIR"], "tests", "integration"))
from seq_faults_expect import flow_errors
b = json.load(open(sys.argv[1]))["receiver"]
x = json.load(open(sys.argv[2]))["receiver"]
bad = []
if (b["mode"], b["xdp_mode"]) != ("baseline", "none"):
    bad.append(f"baseline report mode {b['mode']} / {b['xdp_mode']}")
if x["mode"] != "xdp":
    bad.append(f"xdp report mode {x['mode']}")
for name, r in (("baseline", b), ("xdp", x)):
    bad += flow_errors(r, name + " ")
    lat = r["latency"]
    if lat is None or lat["samples"] + lat["negative"] != r["test_packets"]:
        bad.append(f"{name} latency samples {lat and (lat['samples'], lat['negative'])} for {r['test_packets']}")
    if r["system"] is None or r["system"]["busy_cpu_ns_per_packet"] is None \
            or r["system"]["busy_cpu_ns_per_packet_bound"] is None or r["system"]["busy_cpu_ns_bound"] <= 0:
        bad.append(f"{name}: busy CPU per packet or its bound missing")
# Field for field: every per-flow counter and the test totals.
fb = {f["flow_id"]: f for f in b["flows"]}
fx = {f["flow_id"]: f for f in x["flows"]}
if sorted(fb) != sorted(fx):
    bad.append(f"flow ids differ: {sorted(fb)} vs {sorted(fx)}")
for fid in fb:
    if fb[fid] != fx.get(fid):
        bad.append(f"flow {fid}: baseline {fb[fid]} != xdp {fx.get(fid)}")
for k in ("test_packets", "test_bytes", "stale_packets", "bad_flow_packets"):
    if b[k] != x[k]:
        bad.append(f"{k}: baseline {b[k]} != xdp {x[k]}")
if b["prog_cost"] is not None:
    bad.append("baseline reports an XDP program cost")
if "SO_TIMESTAMPNS" not in (b["latency"] or {}).get("method", ""):
    bad.append("baseline latency method does not state the timestamp source")
for m in bad: print("FAIL:", m)
sys.exit(1 if bad else 0)
PY

# --- 3. standalone baseline with garbage on the socket ---
# No --duration: SIGINT ends the run (exit 0, complete) once the sockets have
# read every datagram: the destination namespace's Udp InDatagrams (counted
# as the receive threads read, in recvmmsg) reaching 2004, the 2000 test
# packets and 4 garbage datagrams.  No window to fit the sends into.
DST_MAC=$(ip netns exec "$DST_NS" cat "/sys/class/net/$DST_IF/address")
udp_in() { ip netns exec "$DST_NS" awk '$1 == "Udp:" && $2 ~ /^[0-9]+$/ {print $2}' /proc/net/snmp; }
udp_in_at_least() { (($(udp_in) >= $1)); }
udp0=$(udp_in)
ip netns exec "$DST_NS" "$XDP_RECV" --interface "$DST_IF" --results-dir "$WORK/recv" --mode baseline \
  --no-coordination >"$WORK/recv.out" 2>&1 &
RECV_PID=$!
counting() { grep -q "standalone: counting" "$WORK/recv.out" || { kill -0 "$RECV_PID" 2>/dev/null || fail "standalone baseline exited"; false; }; }
wait_until 20 "standalone baseline counting" counting
gen_in_src --vdev "net_af_packet0,iface=$SRC_IF" -- --no-coordination --dst-mac "$DST_MAC" \
  --dst-ip "$DST_IP" --rate 2000 --duration 1 --flows 3 --size 64 --name StandaloneBaseline \
  --results-dir "$WORK/gen-standalone" >"$WORK/gen.out" 2>&1 || { cat "$WORK/gen.out" >&2; fail "dpdk-gen failed"; }
# 4 garbage datagrams to the test port: empty, 1 byte, 17 bytes of our magic
# (one short of the header), 32 bytes with the wrong magic.
ip netns exec "$SRC_NS" "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for d in (b"", b"x", b"\xeb\x7e" + b"\x01" * 15, b"\x00" * 32):
    s.sendto(d, (sys.argv[1], 9))' "$DST_IP"
wait_until 20 "the baseline sockets reading 2004 datagrams (Udp InDatagrams from $udp0)" udp_in_at_least $((udp0 + 2004))
kill -INT "$RECV_PID"
wait_until 10 "xdp-recv exiting after SIGINT" eval '! proc_alive "$RECV_PID"'
rc=0; wait "$RECV_PID" || rc=$?
RECV_PID=""
[[ $rc -eq 0 ]] || { cat "$WORK/recv.out" >&2; fail "xdp-recv --no-coordination --mode baseline: exit $rc after SIGINT, expected 0"; }
assert_no_xdp
rdir=$(only_dir "$WORK/recv/receiver")
$PY - "$rdir/results.json" <<'PY' || fail "standalone baseline accounting"
import json, sys
doc = json.load(open(sys.argv[1]))
rx = doc["receiver"]
bad = []
if doc["test"]["status"] != "complete" or doc["test"]["coordinated"]:
    bad.append(f"test: {doc['test']}")
if rx["mode"] != "baseline" or rx["latency"] is not None:
    bad.append(f"mode {rx['mode']}, latency {rx['latency']}")
if rx["test_packets"] != 2000:
    bad.append(f"test_packets {rx['test_packets']} != 2000")
flows = {f["flow_id"]: f for f in rx["flows"]}
if sorted(flows) != [0, 1, 2] or any(f["lost"] or f["duplicates"] or f["reordered"] for f in flows.values()):
    bad.append(f"flows: {rx['flows']}")
if rx["other_packets"] != 4 or rx["rx_packets"] != 2004:
    bad.append(f"other {rx['other_packets']} (want 4 garbage datagrams), rx {rx['rx_packets']}")
for m in bad: print("FAIL:", m)
sys.exit(1 if bad else 0)
PY
mv "$WORK/recv" "$WORK/recv-standalone"

# --- 4. IPv6 (traffic_config.ip_version 6): the sockets bind the IPv6
# destination (2001:2::/48, the IPv6 benchmarking range, inside the testbed
# only); the testbed turns IPv6 off, so it is turned on for the two veths here.
for pair in "$SRC_NS $SRC_IF 2001:2::1" "$DST_NS $DST_IF 2001:2::2"; do
  read -r ns ifname addr <<<"$pair"
  ip netns exec "$ns" sh -c "echo 0 >/proc/sys/net/ipv6/conf/all/disable_ipv6; echo 0 >/proc/sys/net/ipv6/conf/$ifname/disable_ipv6"
  ip netns exec "$ns" ip -6 addr add "$addr/64" dev "$ifname" nodad
done
printf 'traffic_config:\n  ip_version: 6\n' >"$WORK/v6.yaml"
start_receiver --mode baseline
gen_in_src --vdev "net_af_packet0,iface=$SRC_IF" -- --config "$WORK/v6.yaml" \
  --dst-ip "$DST_IP" --rate 2000 --duration 1 --flows 4 --size 80 --name BaselineV6 \
  --test-seq-faults "$FAULTS" --results-dir "$WORK/gen-v6" >"$WORK/gen.out" 2>&1 \
  || { cat "$WORK/gen.out" "$WORK/recv.out" >&2; fail "dpdk-gen failed (IPv6)"; }
wait "$RECV_PID" || { cat "$WORK/recv.out" >&2; fail "xdp-recv --mode baseline exited non-zero (IPv6)"; }
RECV_PID=""
grep -q "on \[2001:2::2\]:9" "$WORK/recv.out" || fail "baseline did not bind the IPv6 destination"
rdir=$(only_dir "$WORK/recv/receiver")
$PY - "$rdir/results.json" <<'PY' || fail "IPv6 baseline accounting"
import json, sys
rx = json.load(open(sys.argv[1]))["receiver"]
want = {0: (3, 0, 0), 1: (0, 0, 1), 2: (0, 1, 0), 3: (0, 0, 0)}   # lost, reordered, duplicates
flows = {f["flow_id"]: f for f in rx["flows"]}
bad = [f"flow {i}: {flows[i]}" for i, (l, r, d) in want.items()
       if (flows[i]["lost"], flows[i]["reordered"], flows[i]["duplicates"], flows[i]["packets"]) != (l, r, d, 500)]
# 80-byte frames: Ethernet 14 + IPv6 40 + UDP 8 + 18 payload, rebuilt exactly
if rx["test_packets"] != 2000 or rx["test_bytes"] != 2000 * 80:
    bad.append(f"test packets/bytes {rx['test_packets']} / {rx['test_bytes']}")
for m in bad: print("FAIL:", m)
sys.exit(1 if bad else 0)
PY
echo "PASS baseline mode counts the same traffic as XDP mode, exactly (IPv4 and IPv6)"
