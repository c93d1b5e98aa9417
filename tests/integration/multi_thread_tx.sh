#!/usr/bin/env bash
# Two TX threads end to end: --threads 2 on net_af_packet with qpairs=2 (one
# TX queue each), the lcores mapped onto the testbed's 2 CPUs with
# --lcores '0@0,1@1,2@0' (docs/generator.md, "TX threads").  7 flows, so the
# split is uneven (4 + 3) and the shares are not all alike.
#
# Asserted:
#  - the plan (--dry-run, the same options): thread i sends flows
#    [first_flow, first_flow + flows) on queue i from its own lcore; the
#    ranges are disjoint, contiguous and cover every flow; the rate and the
#    packets are split in proportion to the flows and add up;
#  - the run reports the same per thread (lcore, queue, flows, target), each
#    thread's packets are exactly the sum of its own flows' packets, and a
#    flow's packets are its thread's round robin share;
#  - every packet accounted: sent = --count exactly (the duration leaves
#    room for a TX lcore kept off its shared CPU to catch up), and per flow
#    received = sent with no gap, reordering or duplicate: a flow sent by
#    two threads would repeat its sequence numbers (each thread counts its
#    flows from 0) and show duplicates;
#  - each thread reports how long its lcore was kept off its CPU.
source "$(dirname "$0")/lib.sh"

FLOWS=7 RATE=20000 COUNT=40000
gen2() {  # not gen_in_src: its "-l 0-1" would clash with --lcores
  ip netns exec "$SRC_NS" "$DPDK_GEN" "${HX_EAL_BASE[@]}" --lcores '0@0,1@1,2@0' \
    --vdev "net_af_packet0,iface=$SRC_IF,qpairs=2" -- \
    --dst-ip "$DST_IP" --threads 2 --flows "$FLOWS" --rate "$RATE" --count "$COUNT" --duration 10 --size 64 "$@"
}

testbed_up
gen2 --dry-run >"$WORK/plan.json" 2>"$WORK/plan.err" || { cat "$WORK/plan.err" >&2; fail "dpdk-gen --dry-run failed"; }
start_receiver
gen2 --name Threads --results-dir "$WORK/gen" >"$WORK/gen.out" 2>&1 || { cat "$WORK/gen.out" "$WORK/recv.out" >&2; fail "dpdk-gen failed"; }
wait "$RECV_PID" || { cat "$WORK/recv.out" >&2; fail "xdp-recv --once exited non-zero"; }
RECV_PID=""
assert_no_xdp

dir=$(only_dir "$WORK/gen/two_machine")
$CHECK "$dir" --status complete --sent "$COUNT" --flows "$FLOWS" --lossless || { cat "$WORK/gen.out" >&2; fail "results check"; }
$PY - "$WORK/plan.json" "$dir/results.json" "$FLOWS" "$RATE" "$COUNT" <<'PY' || { cat "$WORK/gen.out" >&2; fail "two TX threads"; }
import json, sys
plan = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])["plan"]
doc = json.load(open(sys.argv[2]))
F, rate, count = (int(a) for a in sys.argv[3:6])
g, rx = doc["generator"], doc["receiver"]
bad = []
def check(cond, what):
    if not cond: bad.append(what)

pt = plan["threads"]
check(len(pt) == 2, f"plan has {len(pt)} threads")
check([t["queue"] for t in pt] == [0, 1], f"queues {[t['queue'] for t in pt]}")
check(len({t["lcore"] for t in pt}) == 2 and 0 not in {t["lcore"] for t in pt},
      f"lcores {[t['lcore'] for t in pt]}: two workers, not the main lcore 0")
ranges = [range(t["first_flow"], t["first_flow"] + t["flows"]) for t in pt]
check(ranges[0].start == 0 and ranges[0].stop == ranges[1].start and ranges[1].stop == F,
      f"flow ranges {[(r.start, r.stop) for r in ranges]} are not a disjoint cover of 0..{F}")
check(sorted(t["flows"] for t in pt) == [F // 2, F - F // 2], f"flows per thread {[t['flows'] for t in pt]}")
check(sum(t["target_pps"] for t in pt) == rate and sum(t["packets"] for t in pt) == count,
      f"shares {[(t['target_pps'], t['packets']) for t in pt]} do not add up to {rate} pps, {count} packets")
for t in pt:
    check(abs(t["target_pps"] - rate * t["flows"] / F) < 1 and abs(t["packets"] - count * t["flows"] / F) < 1,
          f"thread on queue {t['queue']}: {t['target_pps']} pps, {t['packets']} packets for {t['flows']} of {F} flows")

th = g["threads"]
check(len(th) == 2, f"{len(th)} threads in results.json")
sent = {f["flow_id"]: f["packets"] for f in g["flows"]}
check(sorted(sent) == list(range(F)), f"generator flows {sorted(sent)}")
for t, p, r in zip(th, pt, ranges):
    who = f"thread on queue {t['queue']} (lcore {t['lcore']})"
    check((t["lcore"], t["queue"], t["flows"], t["target_pps"], t["target_packets"]) ==
          (p["lcore"], p["queue"], p["flows"], p["target_pps"], p["packets"]),
          f"{who}: {(t['lcore'], t['queue'], t['flows'], t['target_pps'], t['target_packets'])} vs plan {p}")
    check(t["end"] == "total_reached" and t["packets"] == p["packets"], f"{who}: {t['end']}, sent {t['packets']} of {p['packets']}")
    mine = [sent.get(f, 0) for f in r]
    check(sum(mine) == t["packets"], f"{who}: its flows {list(r)} sent {sum(mine)}, the thread {t['packets']}")
    n, k = t["packets"], len(r)
    check(mine == [n // k + (1 if i < n % k else 0) for i in range(k)], f"{who}: flow shares {mine} of {n}")
    check(t["descheduled_ms"] is not None and t["involuntary_switches"] is not None, f"{who}: no scheduler statistics")
rxf = {f["flow_id"]: f for f in rx["flows"]}
for fid in range(F):
    f = rxf.get(fid)
    check(f is not None and f["packets"] == sent.get(fid) and f["duplicates"] == 0 and f["lost"] == 0
          and f["reordered"] == 0 and f["late"] == 0, f"flow {fid}: sent {sent.get(fid)}, receiver {f}")
for b in bad: print("FAIL:", b)
if not bad:
    print("threads: " + "; ".join(f"lcore {t['lcore']} queue {t['queue']} flows {r.start}..{r.stop - 1}: {t['packets']} "
                                  f"packets, descheduled {t['descheduled_ms']:.0f} ms" for t, r in zip(th, ranges)))
sys.exit(1 if bad else 0)
PY
echo "PASS two TX threads: disjoint flows per queue, every packet accounted"
