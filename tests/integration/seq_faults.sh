#!/usr/bin/env bash
# dpdk-gen's test-only --test-seq-faults alters chosen sequence numbers; the
# receiver must report exactly that loss, reordering and duplication per flow
# (TRex rules), and a one-way latency for every test packet it counted.
source "$(dirname "$0")/lib.sh"

testbed_up
start_receiver
# 4 flows x 500 packets (a fault replaces a frame: every flow still gets
# 500).  Flow 0: sequences 10, 20, 21 skipped -> lost 3.
# Flow 1: seq 5 twice -> duplicates 1.  Flow 2: 7 and 8 swapped -> reordered
# 1, lost 0.  Flow 3: untouched.
gen_in_src --vdev "net_af_packet0,iface=$SRC_IF" -- \
  --dst-ip "$DST_IP" --rate 2000 --duration 1 --flows 4 --size 64 --name SeqFaults \
  --test-seq-faults skip:0:10,skip:0:20,skip:0:21,dup:1:5,swap:2:7 \
  --results-dir "$WORK/gen" >"$WORK/gen.out" 2>&1 || { cat "$WORK/gen.out" "$WORK/recv.out" >&2; fail "dpdk-gen failed"; }
wait "$RECV_PID" || { cat "$WORK/recv.out" >&2; fail "xdp-recv --once exited non-zero"; }
RECV_PID=""
assert_no_xdp

rdir=$(only_dir "$WORK/recv/receiver")
$PY - "$rdir/results.json" <<'PY' || fail "receiver accounting"
import json, sys
rx = json.load(open(sys.argv[1]))["receiver"]
want = {0: dict(lost=3, reordered=0, duplicates=0, late=0, packets=500),
        1: dict(lost=0, reordered=0, duplicates=1, late=0, packets=500),
        2: dict(lost=0, reordered=1, duplicates=0, late=0, packets=500),
        3: dict(lost=0, reordered=0, duplicates=0, late=0, packets=500)}
bad = []
flows = {f["flow_id"]: f for f in rx["flows"]}
for fid, w in want.items():
    for k, v in w.items():
        if flows[fid][k] != v:
            bad.append(f"flow {fid} {k}: got {flows[fid][k]}, want {v}")
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
echo "PASS sequence faults counted exactly"
