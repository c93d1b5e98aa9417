#!/usr/bin/env bash
# A pattern sequence (ramp, poisson, burst) sent to xdp-recv over the
# testbed: the receiver accepts the configuration with its patterns, every
# scheduled packet arrives (sent = the schedule's exact total, no loss), and
# the --stats-json lines carry the receiver's live counts.
source "$(dirname "$0")/lib.sh"

testbed_up
start_receiver
cat >"$WORK/p.yaml" <<'YAML'
test_config: {duration: 2}
traffic_config:
  flows: 4
  packet_size: 64
  patterns:
    - {type: ramp, from: 500, to: 5000, over: 0.5}
    - {type: poisson, rate: 3000, duration: 0.5, seed: 11}
    - {type: burst, burst_rate: 10000, burst_duration: 0.05, inter_burst_gap: 0.05}
monitoring_config:
  real_time: {update_interval: 0.25}
YAML
gen_in_src --vdev "net_af_packet0,iface=$SRC_IF" -- --dst-ip "$DST_IP" --config "$WORK/p.yaml" --name Patterns \
  --results-dir "$WORK/gen" --stats-json >"$WORK/gen.json" 2>"$WORK/gen.out" ||
  { cat "$WORK/gen.out" >&2; fail "dpdk-gen failed"; }
wait "$RECV_PID" || { cat "$WORK/recv.out" >&2; fail "xdp-recv --once exited non-zero"; }
RECV_PID=""
assert_no_xdp
dir=$(only_dir "$WORK/gen/two_machine")
# ramp (500+5000)/2 x 0.5 = 1375; poisson 1500; burst 10 cycles x 500 = 5000
$CHECK "$dir" --status complete --sent 7875 --flows 4 --lossless || fail "results check"
$PY - "$WORK/gen.json" "$dir/results.json" <<'PY' || fail "patterns report"
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
d = json.load(open(sys.argv[2]))
segs = d["generator"]["schedule"]["segments"]
assert [(s["type"], s["packets"]) for s in segs] == [("ramp", 1375), ("poisson", 1500), ("burst", 5000)], segs
assert segs[1]["seed"] == 11
assert d["receiver"]["test_packets"] == 7875
assert any(o["type"] == "interval" and o["rx_packets"] is not None for o in objs), "no receiver counts live"
assert objs[-1]["type"] == "final" and objs[-1]["packets"] == 7875
PY
echo "pattern_run: ok"
