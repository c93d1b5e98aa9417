#!/usr/bin/env bash
# dpdk-gen's test-only --test-seq-faults alters chosen sequence numbers; the
# receiver must report exactly that loss, reordering and duplication per flow
# (TRex rules), and a one-way latency for every test packet it counted.
# The merged results.json must carry the receiver's own counts (its
# results.json) unchanged, and its per-flow rows (received, lost, reordered,
# duplicates) must follow from them.  Latency is plausible for a veth on one
# host: one-way p50 under 5 ms and p99 under 50 ms, and no negative value
# beyond the clock sync's stated uncertainty (both ends read the same clock,
# so only the offset estimate can make a latency negative).
source "$(dirname "$0")/lib.sh"

testbed_up
start_receiver
# The faults and what they must do: seq_faults_expect.py.
gen_in_src --vdev "net_af_packet0,iface=$SRC_IF" -- \
  --dst-ip "$DST_IP" --rate 2000 --duration 1 --flows 4 --size 64 --name SeqFaults \
  --test-seq-faults "$($PY "$EBT_SOURCE_DIR/tests/integration/seq_faults_expect.py")" \
  --results-dir "$WORK/gen" >"$WORK/gen.out" 2>&1 || { cat "$WORK/gen.out" "$WORK/recv.out" >&2; fail "dpdk-gen failed"; }
wait "$RECV_PID" || { cat "$WORK/recv.out" >&2; fail "xdp-recv --once exited non-zero"; }
RECV_PID=""
assert_no_xdp

rdir=$(only_dir "$WORK/recv/receiver")
$PY - "$rdir/results.json" <<'PY' || fail "receiver accounting"
import json, os, sys
sys.path.insert(0, os.path.join(os.environ["EBT_SOURCE_DIR"], "tests", "integration"))
from seq_faults_expect import flow_errors
rx = json.load(open(sys.argv[1]))["receiver"]
bad = flow_errors(rx)
lat = rx["latency"]
if lat is None or lat["samples"] + lat["negative"] != rx["test_packets"] or lat["samples"] == 0:
    bad.append(f"latency samples: {lat and (lat['samples'], lat['negative'])} for {rx['test_packets']} packets")
elif not (lat["min_ns"] <= lat["p50_ns"] <= lat["p99_9_ns"] <= lat["max_ns"]):
    bad.append(f"latency order: {lat}")
if lat and not lat["clock_offset_uncertainty"]:
    bad.append("clock offset uncertainty not stated")
pc = rx["prog_cost"]
if pc is None or pc["run_cnt"] < rx["test_packets"] or not pc["ns_per_packet"]:
    bad.append(f"prog_cost: {pc and (pc['run_cnt'], pc['ns_per_packet'])}")
for b in bad: print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
dir=$(only_dir "$WORK/gen/two_machine")
$CHECK "$dir" --status complete --sent 2000 --flows 4 || fail "results check"
$PY - "$dir/results.json" "$rdir/results.json" <<'PY' || fail "merged results against the receiver's"
import json, sys
doc, own = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
bad = []
def check(cond, what):
    if not cond: bad.append(what)
rx, mine = doc["receiver"], own["receiver"]
check(rx["flows"] == mine["flows"], f"merged receiver.flows {rx['flows']} != the receiver's {mine['flows']}")
check(rx["test_packets"] == mine["test_packets"], "test_packets differ")
rf = {f["flow_id"]: f for f in mine["flows"]}
gen = {f["flow_id"]: f["packets"] for f in doc["generator"]["flows"]}
# Frames sent per flow: 500 each (a dup's copy takes a frame's place); every one arrived.
check(gen == {0: 500, 1: 500, 2: 500, 3: 500}, f"generator sent per flow {gen}")
for fl in doc["flows"]:
    r = rf[fl["flow_id"]]
    check(r["packets"] == fl["sent"], f"flow {fl['flow_id']}: the receiver got {r['packets']} frames of {fl['sent']}")
    check(fl["reordered"] == r["reordered"] and fl["duplicates"] == r["duplicates"],
          f"flow {fl['flow_id']}: merged reordered/duplicates {fl['reordered']}/{fl['duplicates']}, "
          f"the receiver's {r['reordered']}/{r['duplicates']}")
    check(fl["received"] == r["packets"] - r["duplicates"] and fl["lost"] == fl["sent"] - fl["received"],
          f"flow {fl['flow_id']}: merged received/lost {fl['received']}/{fl['lost']} for {r['packets']} frames, "
          f"{r['duplicates']} duplicates, {fl['sent']} sent")
# The receiver's sequence gaps (flow 0's 3 skipped numbers) are not frames sent:
# they show in receiver.flows[].lost, not in the merged per-flow lost.
check([rf[i]["lost"] for i in range(4)] == [3, 0, 0, 0], f"receiver gaps {[rf[i]['lost'] for i in range(4)]}")
lat, cs = mine["latency"], doc["generator"]["clock_sync"]
check(lat["p50_ns"] < 5e6 and lat["p99_ns"] < 50e6, f"one-way latency p50 {lat['p50_ns']} ns, p99 {lat['p99_ns']} ns")
check(lat["min_ns"] is not None and lat["min_ns"] >= -cs["uncertainty_ns"], f"min latency {lat['min_ns']} ns")
check(lat["negative_max_ns"] <= cs["uncertainty_ns"],
      f"negative latency down to -{lat['negative_max_ns']} ns, beyond the clock uncertainty {cs['uncertainty_ns']} ns")
check(doc["receiver"]["latency"] == lat, "merged latency differs from the receiver's")
for b in bad: print("FAIL:", b)
if not bad:
    print(f"one-way latency p50 {lat['p50_ns']} ns, p99 {lat['p99_ns']} ns, max {lat['max_ns']} ns; "
          f"merged flows {[(f['received'], f['lost'], f['reordered'], f['duplicates']) for f in doc['flows']]}")
sys.exit(1 if bad else 0)
PY
echo "PASS sequence faults counted exactly"
