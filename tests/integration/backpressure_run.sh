#!/usr/bin/env bash
# Back-pressure: a port that refuses frames.  dpdk-gen sends 1 Mpps through
# net_af_packet with qdisc_bypass=0, so its frames go through the source
# veth's qdisc, where a tbf lets 2 Mbit/s (about 3,900 of these frames a
# second) pass.  Only the test frames (UDP to port 9) go to the tbf, under an
# htb whose default class carries the control connection and ARP unshaped.
#
# What the kernel does with the excess (measured, kernel 6.18): the tbf's
# queue (1,000 bytes) refuses the frame (its "dropped" counts it), and
# af_packet's tpacket_snd puts the frame back in the socket's TX ring
# (TP_STATUS_SEND_REQUEST) to go again on the next kick: nothing is lost at
# the qdisc.  The ring (framecnt=64 here) fills, and rte_eth_tx_burst returns
# short: the port refuses.  dpdk-gen retries (tx_full_retries) until the
# deadline (duration x 1.1 + 0.5 s), then drops the burst in hand
# (tx_full_dropped) and rolls its sequence numbers back.
#
# Asserted:
#  - the qdisc refused frames and the port refused frames (tx_full_retries);
#  - tx_engine.cpp's identity: every frame built was either accepted by the
#    port (sent) or dropped at the stop, and the loop ends after that one
#    burst: packets + tx_full_dropped = the frames built, a whole number of
#    bursts (32 at this rate); 0 < tx_full_dropped <= one burst;
#    target_packets - sent - tx_full_dropped = the frames never built
#    because the deadline came first (> 0 here); per flow, round robin:
#    sent + tx_full_dropped = built / flows;
#  - after the qdisc nothing is lost: the frames the tbf passed = the
#    receiver's test packets (veth drops 0), per flow without a gap,
#    reordering or duplicate (the rollback keeps each flow's sequence
#    contiguous), and they are the first frames built, in order (a prefix
#    of the round robin);
#  - sent - received = the frames still in the socket's TX ring when
#    dpdk-gen closed the port (<= framecnt).  See the note at the end: those
#    are counted as sent but never reach the wire.
#  - the qdisc is removed (on every path: also by the EXIT trap).
source "$(dirname "$0")/lib.sh"

RATE=1000000 DURATION=2 FLOWS=4 RING=64

testbed_up
QDISC_ON=""
qdisc_off() {
  if [[ -n "$QDISC_ON" ]]; then
    ip netns exec "$SRC_NS" tc qdisc del dev "$SRC_IF" root 2>/dev/null || true
    QDISC_ON=""
  fi
}
# lib.sh's cleanup after the qdisc's removal, with the test's exit status
# (errexit off: the status must reach cleanup, not end the trap).
trap '_rc=$?; set +e; qdisc_off; (exit $_rc); cleanup' EXIT

tcq() { ip netns exec "$SRC_NS" tc "$@"; }
QDISC_ON=1
tcq qdisc add dev "$SRC_IF" root handle 1: htb default 10
tcq class add dev "$SRC_IF" parent 1: classid 1:10 htb rate 1gbit quantum 60000
tcq class add dev "$SRC_IF" parent 1: classid 1:20 htb rate 1gbit quantum 60000
tcq qdisc add dev "$SRC_IF" parent 1:20 handle 20: tbf rate 2mbit burst 8kb limit 1000
tcq filter add dev "$SRC_IF" parent 1: protocol ip prio 1 u32 \
  match ip protocol 17 0xff match ip dport 9 0xffff flowid 1:20

start_receiver
gen_in_src --vdev "net_af_packet0,iface=$SRC_IF,qdisc_bypass=0,framecnt=$RING" -- \
  --dst-ip "$DST_IP" --rate 1Mpps --duration "$DURATION" --flows "$FLOWS" --size 64 --name BackPressure \
  --results-dir "$WORK/gen" >"$WORK/gen.out" 2>&1 || { cat "$WORK/gen.out" "$WORK/recv.out" >&2; fail "dpdk-gen failed"; }
wait "$RECV_PID" || { cat "$WORK/recv.out" >&2; fail "xdp-recv --once exited non-zero"; }
RECV_PID=""
assert_no_xdp

tcq -s -j qdisc show dev "$SRC_IF" >"$WORK/qdisc.json"
ip -n "$SRC_NS" -s -j link show "$SRC_IF" >"$WORK/src_link.json"
ip -n "$DST_NS" -s -j link show "$DST_IF" >"$WORK/dst_link.json"
qdisc_off
tcq qdisc show dev "$SRC_IF" | grep -Eq 'htb|tbf' && fail "the qdisc is still on $SRC_IF"

dir=$(only_dir "$WORK/gen/two_machine")
$CHECK "$dir" --status complete --flows "$FLOWS" || { cat "$WORK/gen.out" >&2; fail "results check"; }
$PY - "$dir/results.json" "$WORK" "$RING" <<'PY' || { cat "$WORK/gen.out" >&2; fail "back-pressure accounting"; }
import json, sys
doc = json.load(open(sys.argv[1]))
work, ring = sys.argv[2], int(sys.argv[3])
g, rx = doc["generator"], doc["receiver"]
bad = []
def check(cond, what):
    if not cond: bad.append(what)

tbf = [q for q in json.load(open(f"{work}/qdisc.json")) if q["kind"] == "tbf"][0]
src = json.load(open(f"{work}/src_link.json"))[0]["stats64"]
dst = json.load(open(f"{work}/dst_link.json"))[0]["stats64"]
print(f"tbf: passed {tbf['packets']}, refused {tbf['drops']} times; generator: sent {g['sent_packets']} "
      f"of {g['target_packets']}, tx_full_retries {g['tx_full_retries']}, tx_full_dropped {g['tx_full_dropped']}; "
      f"receiver: {rx['test_packets']}")

# The qdisc refused, the port refused.
check(tbf["drops"] > 0, "the tbf refused nothing: no back-pressure from the qdisc")
check(g["tx_full_retries"] > 0, "tx_full_retries 0: the port never refused a frame")

# tx_engine.cpp: one lcore, ended by the deadline with the burst in hand dropped.
(t,) = g["threads"]
burst = min(32, max(1, t["target_pps"] // 1000))
built = t["packets"] + t["tx_full_dropped"]
check(t["end"] == "deadline", f"lcore end {t['end']}, expected deadline (the tbf cannot carry the rate)")
check(0 < t["tx_full_dropped"] <= burst, f"tx_full_dropped {t['tx_full_dropped']}: expected the one burst in hand (1..{burst})")
check(built % burst == 0, f"sent + dropped = {built}, not a whole number of {burst}-frame bursts")
never_built = t["target_packets"] - built
check(never_built > 0, f"target {t['target_packets']} - sent - dropped = {never_built}")
check(g["tx_full_dropped"] == t["tx_full_dropped"] and g["tx_full_retries"] == t["tx_full_retries"], "lcore vs total")
nf = len(g["flows"])
for f in g["flows"]:
    check(f["packets"] + f["tx_full_dropped"] == built // nf,
          f"flow {f['flow_id']}: sent {f['packets']} + dropped {f['tx_full_dropped']} != {built // nf} built")
    check(f["tx_full_refused"] > 0, f"flow {f['flow_id']}: no refusal counted")
print(f"identity: {t['target_packets']} target = {t['packets']} sent + {t['tx_full_dropped']} dropped at the deadline "
      f"+ {never_built} never built ({built // burst} bursts of {burst})")

# Nothing lost after the qdisc: what the tbf passed reached the receiver.
check(src["tx"]["dropped"] == 0 and dst["rx"]["dropped"] == 0,
      f"veth drops: source tx {src['tx']['dropped']}, destination rx {dst['rx']['dropped']}")
check(rx["test_packets"] == tbf["packets"], f"the tbf passed {tbf['packets']} test frames, the receiver counted {rx['test_packets']}")
check(rx["stale_packets"] == 0 and rx["bad_flow_packets"] == 0, "stale or bad-flow packets")
R = rx["test_packets"]
rxf = {f["flow_id"]: f for f in rx["flows"]}
sent = {f["flow_id"]: f["packets"] for f in g["flows"]}
for fid in range(nf):
    r = rxf[fid]
    check(r["lost"] == 0 and r["reordered"] == 0 and r["duplicates"] == 0 and r["late"] == 0,
          f"flow {fid}: gaps {r['lost']}, reordered {r['reordered']}, duplicates {r['duplicates']}, late {r['late']}")
    # The first R frames built, round robin from flow 0.
    check(r["packets"] == R // nf + (1 if fid < R % nf else 0),
          f"flow {fid}: received {r['packets']}, not its share of the first {R} frames")
    check(r["packets"] <= sent[fid], f"flow {fid}: received {r['packets']} > sent {sent[fid]}")
stranded = g["sent_packets"] - R
check(0 <= stranded <= ring, f"sent {g['sent_packets']} - received {R} = {stranded}, not within the {ring}-frame TX ring")
print(f"stranded in the socket's TX ring at the end: {stranded} (counted as sent, never on the wire)")
for b in bad: print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
# Note (product bug, reported): those stranded frames were accepted by
# rte_eth_tx_burst into af_packet's mmap TX ring, but the kernel sends ring
# frames only when the PMD kicks it (sendto in the next tx_burst); the last
# kick met a full qdisc, and dpdk-gen then closed the port.  They show as
# "lost" in summary, though no link dropped them.
echo "PASS back-pressure: port refusals retried, burst in hand dropped at the deadline, totals exact"
