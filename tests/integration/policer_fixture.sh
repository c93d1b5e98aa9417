#!/usr/bin/env bash
# The tc token-bucket policer fixture (tests/fixtures/, ebt-tc-policer) as
# the testbed's "device of known capacity": on the source veth's egress it
# polices dpdk-gen's IPv4/UDP test frames to half the offered rate, drops
# the excess without back-pressure and lets the control connection through.
#
# 1. Bad input: exit 2 and one line naming the flag, before any kernel work.
# 2. A coordinated run, dpdk-gen (net_af_packet with qdisc_bypass=0, so its
#    frames meet the tc egress hook) at 20,000 pps of 128-byte frames for
#    3 s into xdp-recv, the policer at 10,000 frames a second on the wire
#    (152 bytes each: frame + overhead 24) with a burst of 100 of them.
#    Asserted, as identities of the counts, never as timings:
#     - the policer passed exactly the frames (and bytes) xdp-recv counted as
#       this test's, and nothing else reached it as a test frame;
#     - passed + dropped = the frames dpdk-gen's port took (a dropped frame is
#       TC_ACT_STOLEN, reported to AF_PACKET as sent, so none is retried and
#       none is left in the TX ring);
#     - it dropped some; at least the burst passed; the control connection
#       went through unpoliced;
#     - what passed, on-wire size, fits in burst + rate x (last - first
#       policed frame), both times as the BPF program itself took them.
#    (veth must drop nothing for the first identity: checked first.)
# 3. Stopping and what is left: SIGTERM (2), SIGINT, EOF on stdin and a
#    clsact that was there before (left in place, only the filter removed);
#    each prints its JSON line, exits 0, leaves no filter, no clsact it made
#    and no BPF program behind.
# 4. --drop-verdict shot back-pressures the sender (why stolen is the default).
source "$(dirname "$0")/lib.sh"

POLICER="$EBT_BUILD_DIR/tests/fixtures/ebt-tc-policer"
[[ -x $POLICER ]] || fail "no $POLICER (ninja -C $EBT_BUILD_DIR tests/fixtures/ebt-tc-policer)"

# --- 1. Bad input.
while IFS='|' read -r args pattern; do
  rc=0
  # shellcheck disable=SC2086  # the table's arguments split on spaces
  "$POLICER" $args </dev/null >"$WORK/bad.out" 2>&1 || rc=$?
  [[ $rc -eq 2 ]] || { cat "$WORK/bad.out" >&2; fail "ebt-tc-policer $args: exit $rc, expected 2"; }
  [[ $(wc -l <"$WORK/bad.out") -eq 1 ]] || { cat "$WORK/bad.out" >&2; fail "ebt-tc-policer $args: not one line"; }
  grep -q -- "$pattern" "$WORK/bad.out" || { cat "$WORK/bad.out" >&2; fail "ebt-tc-policer $args: no '$pattern'"; }
done <<'TABLE'
--rate-bps 1000|--dev: missing
--dev lo|--rate-bps: missing
--dev lo --rate-bps 10Mbit|--rate-bps: expected a whole number of bits per second
--dev lo --rate-bps 1000000000001|--rate-bps: expected a whole number .* to 1000000000000
--dev lo --rate-bps 1000 --burst-bytes -1|--burst-bytes: expected a whole number of bytes
--dev lo --rate-bps 1000 --overhead-bytes 2000|--overhead-bytes: expected a whole number of bytes from 0 to 1024
--dev lo --rate-bps 1000 --drop-verdict pass|--drop-verdict: expected stolen or shot
--dev lo --rate-bps 1000 --burst-bytes|--burst-bytes: expected a value
--dev lo --rate-bps 1000 --police-tcp|--police-tcp: unknown option
--dev no-such-if0 --rate-bps 1000|--dev: expected an existing interface, no 'no-such-if0'
--dev lo --rate-bps 1000 --netns no-such-ns-x|--netns: expected a network namespace
TABLE
echo "ok 1: 11 bad inputs refused with exit 2, naming the flag"

testbed_up
tcq() { ip netns exec "$SRC_NS" tc "$@"; }

# start_policer NAME CMD...: the policer command CMD with its stdin the FIFO
# $WORK/NAME.in, whose only writer is this shell's POL_IN (opened after the
# fork, so the policer does not hold it: closing POL_IN is its EOF); output
# in $WORK/NAME.out and .err; returns once it printed "ready", with
# POL_PROG the id of the BPF program on the source veth's egress.
start_policer() {
  local name=$1
  shift
  mkfifo "$WORK/$name.in"
  "$@" <"$WORK/$name.in" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  POL_PID=$!
  BG_PIDS+=("$POL_PID")
  exec {POL_IN}>"$WORK/$name.in"
  wait_for "$WORK/$name.out" '^ready$' 20 "$POL_PID"
  POL_PROG=$(tcq filter show dev "$SRC_IF" egress | grep -o 'tc_policer.* id [0-9]*' | grep -o '[0-9]*$') ||
    fail "$name: no tc_policer filter on $SRC_IF egress after ready: $(tcq filter show dev "$SRC_IF" egress)"
}

# end_policer NAME: waits for it to exit (0 expected), checks its one JSON
# line and that its filter and program are gone.
end_policer() {
  local name=$1 rc=0
  wait "$POL_PID" || rc=$?
  [[ $rc -eq 0 ]] || { cat "$WORK/$name.err" >&2; fail "$name: ebt-tc-policer exited $rc"; }
  [[ $(sed -n 1p "$WORK/$name.out") == ready && $(wc -l <"$WORK/$name.out") -eq 2 ]] ||
    { cat "$WORK/$name.out" >&2; fail "$name: expected 'ready' and one JSON line"; }
  [[ ! -s "$WORK/$name.err" ]] || { cat "$WORK/$name.err" >&2; fail "$name: wrote to stderr"; }
  sed -n 2p "$WORK/$name.out" >"$WORK/$name.json"
  $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert set(sys.argv[2:]) <= set(d), d' "$WORK/$name.json" \
    passed_packets passed_bytes dropped_packets dropped_bytes rate_bps burst_bytes overhead_bytes ||
    fail "$name: JSON line without the documented fields"
  [[ -z $(tcq filter show dev "$SRC_IF" egress) ]] || fail "$name: a filter is left on $SRC_IF egress"
  ! bpftool prog show id "$POL_PROG" >/dev/null 2>&1 || fail "$name: BPF program $POL_PROG still loaded"
}

assert_no_clsact() {
  ! tcq qdisc show dev "$SRC_IF" | grep -q clsact || fail "$1: a clsact qdisc is left on $SRC_IF"
}

# --- 2. The coordinated run through the policer.
SIZE=128 OVERHEAD=24 OFFERED_PPS=20000 POLICED_PPS=10000 DURATION=3
WIRE=$((SIZE + OVERHEAD))
RATE_BPS=$((POLICED_PPS * WIRE * 8))   # 12,160,000
BURST=$((100 * WIRE))
start_policer run ip netns exec "$SRC_NS" "$POLICER" --dev "$SRC_IF" \
  --rate-bps "$RATE_BPS" --burst-bytes "$BURST" --overhead-bytes "$OVERHEAD"
start_receiver
gen_in_src --vdev "net_af_packet0,iface=$SRC_IF,qdisc_bypass=0" -- \
  --dst-ip "$DST_IP" --rate "$OFFERED_PPS" --duration "$DURATION" --flows 1 --size "$SIZE" --name Policed \
  --results-dir "$WORK/gen" >"$WORK/gen.out" 2>&1 || { cat "$WORK/gen.out" "$WORK/recv.out" >&2; fail "dpdk-gen failed"; }
wait "$RECV_PID" || { cat "$WORK/recv.out" >&2; fail "xdp-recv --once exited non-zero"; }
RECV_PID=""
assert_no_xdp
ip -n "$SRC_NS" -s -j link show "$SRC_IF" >"$WORK/src_link.json"
ip -n "$DST_NS" -s -j link show "$DST_IF" >"$WORK/dst_link.json"
kill -TERM "$POL_PID"
end_policer run
assert_no_clsact run
exec {POL_IN}>&-

GEN_DIR=$(only_dir "$WORK/gen/two_machine")
$PY - "$GEN_DIR/results.json" "$WORK" <<'PY' || { cat "$WORK/gen.out" >&2; fail "policer accounting"; }
import json, sys
doc = json.load(open(sys.argv[1]))
work = sys.argv[2]
g, rx = doc["generator"], doc["receiver"]
p = json.load(open(f"{work}/run.json"))
src = json.load(open(f"{work}/src_link.json"))[0]["stats64"]
dst = json.load(open(f"{work}/dst_link.json"))[0]["stats64"]
bad = []
def check(cond, what):
    if not cond: bad.append(what)

NS = 10**9
wire = lambda packets, nbytes: nbytes + packets * p["overhead_bytes"]
span_ns = p["last_packet_ns"] - p["first_packet_ns"]
print(f"policer: passed {p['passed_packets']} ({p['passed_bytes']} B), dropped {p['dropped_packets']} "
      f"({p['dropped_bytes']} B), unpoliced {p['unpoliced_packets']}, policed frames over {span_ns / 1e9:.3f} s; "
      f"generator sent {g['sent_packets']}; receiver counted {rx['test_packets']} test frames "
      f"({rx['test_bytes']} B), {rx['other_packets']} other")
if span_ns > 0:
    offered = (p["passed_packets"] + p["dropped_packets"]) * NS / span_ns
    passed_bps = wire(p["passed_packets"], p["passed_bytes"]) * 8 * NS / span_ns
    print(f"offered {offered:.0f} frames/s; passed {p['passed_packets'] * NS / span_ns:.0f} frames/s = "
          f"{passed_bps / 1e6:.3f} Mbit/s on the wire against a rate of {p['rate_bps'] / 1e6:.3f} Mbit/s "
          f"and a burst of {p['burst_bytes']} B")

# Precondition of the first identity: veth lost nothing after the policer.
check(src["tx"]["dropped"] == 0 and dst["rx"]["dropped"] == 0,
      f"veth drops (source tx {src['tx']['dropped']}, destination rx {dst['rx']['dropped']}): "
      "frames the policer passed may not have arrived")
# What passed is what arrived as this test's frames, frame for frame, byte for byte.
check(p["passed_packets"] == rx["test_packets"],
      f"the policer passed {p['passed_packets']} frames, xdp-recv counted {rx['test_packets']} test frames")
check(p["passed_bytes"] == rx["test_bytes"],
      f"the policer passed {p['passed_bytes']} bytes, xdp-recv counted {rx['test_bytes']} test bytes")
check(rx["stale_packets"] == 0 and rx["bad_flow_packets"] == 0, "stale or bad-flow frames at the receiver")
# Every frame the port took met the policer once: stolen frames are not retried.
check(p["passed_packets"] + p["dropped_packets"] == g["sent_packets"],
      f"passed {p['passed_packets']} + dropped {p['dropped_packets']} != {g['sent_packets']} sent")
check(p["passed_bytes"] + p["dropped_bytes"] == g["sent_bytes"],
      f"passed + dropped bytes {p['passed_bytes'] + p['dropped_bytes']} != {g['sent_bytes']} sent bytes")
check(g["tx_full_retries"] == 0, f"the port refused frames (tx_full_retries {g['tx_full_retries']}): back-pressure")
check(p["dropped_packets"] > 0, "nothing dropped at twice the policed rate")
burst_frames = p["burst_bytes"] // (p["passed_bytes"] // max(p["passed_packets"], 1) + p["overhead_bytes"])
check(p["passed_packets"] >= burst_frames, f"passed {p['passed_packets']} < the burst's {burst_frames} frames")
check(p["unpoliced_packets"] > 0, "no unpoliced frame: the control connection should have passed the hook")
# The bucket's bound on its own clock, in bit-nanoseconds (exact integers).
used = wire(p["passed_packets"], p["passed_bytes"]) * 8 * NS
allowed = p["burst_bytes"] * 8 * NS + p["rate_bps"] * span_ns
check(used <= allowed, f"passed {used / 8 / NS:.0f} B on the wire > burst + rate x span = {allowed / 8 / NS:.0f} B")
print(f"bound: {used / 8 / NS:.0f} B on the wire passed <= {allowed / 8 / NS:.0f} B allowed")
for b in bad: print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
echo "ok 2: the policer passed exactly what xdp-recv counted, dropped the rest, within its bound"

# --- 3. Other ways to stop, and a clsact that was there first.
start_policer int ip netns exec "$SRC_NS" "$POLICER" --dev "$SRC_IF" --rate-bps 1000
kill -INT "$POL_PID"
end_policer int
assert_no_clsact int
exec {POL_IN}>&-

# EOF on stdin, entering the namespace itself (--netns), onto an existing
# clsact: that one stays, with no filter on it.
tcq qdisc add dev "$SRC_IF" clsact
start_policer eof "$POLICER" --netns "$SRC_NS" --dev "$SRC_IF" --rate-bps 1000
exec {POL_IN}>&-
end_policer eof
tcq qdisc show dev "$SRC_IF" | grep -q clsact || fail "eof: the clsact qdisc it did not make was removed"
tcq qdisc del dev "$SRC_IF" clsact
echo "ok 3: SIGTERM, SIGINT and EOF each detach, print the counters, and leave only what was there before"

# --- 4. Why drops are TC_ACT_STOLEN: with --drop-verdict shot the kernel
#        answers NET_XMIT_DROP and AF_PACKET's TX ring keeps the frame to send
#        again, so the same frames meet the policer over and over (dropped
#        counts attempts: passed + dropped > sent) and the port refuses.
start_policer shot ip netns exec "$SRC_NS" "$POLICER" --dev "$SRC_IF" \
  --rate-bps "$RATE_BPS" --burst-bytes "$BURST" --overhead-bytes "$OVERHEAD" --drop-verdict shot
rm -rf "$WORK/gen"
start_receiver
gen_in_src --vdev "net_af_packet0,iface=$SRC_IF,qdisc_bypass=0" -- \
  --dst-ip "$DST_IP" --rate "$OFFERED_PPS" --duration 1 --flows 1 --size "$SIZE" --name PolicedShot \
  --results-dir "$WORK/gen" >"$WORK/gen.out" 2>&1 || { cat "$WORK/gen.out" "$WORK/recv.out" >&2; fail "dpdk-gen failed"; }
wait "$RECV_PID" || { cat "$WORK/recv.out" >&2; fail "xdp-recv --once exited non-zero"; }
RECV_PID=""
kill -TERM "$POL_PID"
end_policer shot
assert_no_clsact shot
exec {POL_IN}>&-
read -r sent retries < <(result_get "$(only_dir "$WORK/gen/two_machine")" generator.sent_packets generator.tx_full_retries)
read -r passed dropped < <($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["passed_packets"], d["dropped_packets"])' "$WORK/shot.json")
echo "shot: sent $sent, passed $passed, dropped $dropped (attempts), tx_full_retries $retries"
((passed + dropped > sent)) || fail "shot: passed $passed + dropped $dropped <= sent $sent: no frame was sent again"
((retries > 0)) || fail "shot: the port never refused a frame"
echo "ok 4: TC_ACT_SHOT back-pressures the AF_PACKET sender, as the fixture's default avoids"
echo "PASS policer fixture"
