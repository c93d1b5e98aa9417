#!/usr/bin/env bash
# Peer loss and recovery on the control connection (README: "If either side
# goes silent for 3 s ... the other stops ... and writes its results as
# incomplete"; ARCHITECTURE.md "One test, end to end" 5-6, "Drain after stop"):
#   1. dpdk-gen frozen (SIGSTOP) for less than 3 s mid-test: no "peer lost",
#      the test completes with every packet counted; the drain is immediate;
#   2. dpdk-gen frozen until xdp-recv gives up: that is after >= 3 s of
#      silence and within 4 s of the freeze; xdp-recv detaches and writes
#      "incomplete"; dpdk-gen, continued, ends incomplete at once;
#   3. xdp-recv frozen: dpdk-gen declares it lost after >= 3 s of silence,
#      within 4 s of the freeze, stops its traffic and writes "incomplete";
#      xdp-recv, continued, ends incomplete and detaches;
#   4. the results lost on the way after xdp-recv sent them (a tc filter
#      swallows the large frames from the control port, then the connection
#      is killed with ss -K): dpdk-gen reconnects, fetches them
#      (fetch_results) and the test is complete on both sides;
#   5. the drain: a flow lost on the way (tc) ends the drain by the 200 ms
#      quiet rule (0.2 <= drain_s < 0.6); test packets trickling in after stop
#      run it to the 2 s cap (2 <= drain_s < 2.5);
#   6. a second dpdk-gen during a test: exit 1 with one line naming the
#      running test's id, no results directory, the running test undisturbed.
# Every wait is bounded; frozen processes are continued on every exit path.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/control_lib.sh"

testbed_up
RATE=2000

recv_results() { echo "$(only_dir "$WORK/recv/receiver")/results.json"; }
gen_results() { echo "$(only_dir "$WORK/gen-$1/two_machine")/results.json"; }
no_peer_lost() {  # no_peer_lost FILE...: neither log mentions a lost peer
  ! grep -l "peer lost" "$@" || fail "a false 'peer lost' in $(grep -l "peer lost" "$@" | tr '\n' ' ')"
}
# silence_ms TEXT: N from "... for N ms" (xdp-recv) or "silent for N ms" (dpdk-gen).
silence_ms() { grep -o 'for [0-9]* ms' <<<"$1" | grep -o '[0-9]*'; }

# --- 1. dpdk-gen frozen for ~1.5 s (measured, < 1.8 s) mid-test: with its
#        last heartbeat at most 1 s before, the receiver hears nothing for
#        < 3 s and must not give up.
start_receiver
gen_bg FreezeShort --rate $RATE --duration 6
wait_for "$WORK/recv.out" counting
t0=$(now_ms)
kill -STOP "$GEN_PID"
sleep 1.5   # the freeze itself, measured below
kill -CONT "$GEN_PID"
t1=$(now_ms)
((t1 - t0 < 1800)) || fail "could not freeze dpdk-gen for less than 1.8 s (took $((t1 - t0)) ms): the check needs < 3 s of silence"
gen_wait FreezeShort 0 30
recv_wait 0 10
no_peer_lost "$WORK/recv.out" "$WORK/gen-FreezeShort.out"
(($(log_ms "$WORK/recv.out" " done: ") > t1)) || fail "the test ended before dpdk-gen was continued: the freeze was not mid-test"
g=$(gen_results FreezeShort)
[[ $(json_field "$g" 'd["test"]["status"]') == complete ]] || fail "frozen $((t1 - t0)) ms: $(json_field "$g" 'd["test"]')"
[[ $(json_field "$g" 'd["receiver"]["test_packets"] == d["generator"]["sent_packets"] > 0') == True ]] ||
  fail "frozen $((t1 - t0)) ms: received $(json_field "$g" 'd["receiver"]["test_packets"]') of $(json_field "$g" 'd["generator"]["sent_packets"]')"
# Everything arrived before stop: the drain ends at once.
drain_in "$g" 0 0.2 "drain_s %s with every packet in, expected < 0.2"
echo "ok 1: dpdk-gen frozen $((t1 - t0)) ms mid-test: complete, no peer lost, drain $(json_field "$g" 'd["receiver"]["drain_s"]') s"
rm -rf "$WORK/recv"

# --- 2. dpdk-gen frozen until xdp-recv declares it lost.
run_and_freeze FreezeLong GEN_PID
recv_wait 1 10   # on its own, dpdk-gen still frozen
assert_no_xdp
r=$(status_of "$(recv_results)")
[[ "$r" == "incomplete|peer lost: no message from the generator for "*" ms" ]] || fail "receiver results: $r"
n=$(silence_ms "$r")
((n >= 3000 && n <= 4000)) || fail "xdp-recv gave up after $n ms of silence, expected 3000 .. 4000"
after=$(($(log_ms "$WORK/recv.out" " incomplete: ") - t_stop))
((after <= 4000)) || fail "xdp-recv declared the peer lost $after ms after the freeze, expected <= 4000"
t_cont=$(now_ms)
kill -CONT "$GEN_PID"
gen_wait FreezeLong 1 10
g=$(gen_results FreezeLong)
reason=$(status_of "$g")
[[ "$reason" == "incomplete|receiver lost during the test: "* ]] || fail "dpdk-gen continued after the receiver gave up: $reason"
resumed=$(($(log_ms "$WORK/gen-FreezeLong.out" "receiver lost during the test") - t_cont))
((resumed <= 1000)) || fail "dpdk-gen noticed the lost receiver $resumed ms after it was continued, expected at once (<= 1000)"
[[ $(json_field "$g" 'd["generator"]["sent_packets"] < d["generator"]["target_packets"]') == True ]] || fail "dpdk-gen sent its whole target"
echo "ok 2: dpdk-gen frozen: xdp-recv gave up after $n ms of silence ($after ms after the freeze); dpdk-gen continued: $reason"
rm -rf "$WORK/recv"

# --- 3. xdp-recv frozen: dpdk-gen declares it lost and stops its traffic.
run_and_freeze FreezeRecv RECV_PID
gen_wait FreezeRecv 1 10
g=$(gen_results FreezeRecv)
reason=$(status_of "$g")
[[ "$reason" == "incomplete|receiver lost during the test: xdp-recv silent for "*" ms (peer lost)" ]] || fail "dpdk-gen results: $reason"
n=$(silence_ms "$reason")
((n >= 3000 && n <= 4000)) || fail "dpdk-gen gave up after $n ms of silence, expected 3000 .. 4000"
after=$(($(log_ms "$WORK/gen-FreezeRecv.out" "receiver lost during the test") - t_stop))
((after <= 4000)) || fail "dpdk-gen declared the receiver lost $after ms after the freeze, expected <= 4000"
assert_stopped_sending FreezeRecv $RATE "receiver lost during the test"
kill -CONT "$RECV_PID"
recv_wait 1 10
assert_no_xdp
[[ $(json_field "$(recv_results)" 'd["test"]["status"]') == incomplete ]] || fail "xdp-recv continued: $(json_field "$(recv_results)" 'd["test"]')"
echo "ok 3: xdp-recv frozen: dpdk-gen gave up after $n ms of silence ($after ms after the freeze), sent $(json_field "$g" 'd["generator"]["sent_packets"]')"
rm -rf "$WORK/recv"

# --- 4. The results lost after xdp-recv sent them: dpdk-gen fetches them on
#        a new connection.  xdp-recv serves on (not --once: it keeps the last
#        results for a fetch).  A clsact filter on its veth sends every
#        frame of 1024 bytes or more from the control port to lo (where it
#        dies: not addressed to this host); only 'results' is that large, so
#        the handshake, heartbeats and samples pass and 'results' is held
#        back, retransmitted in vain, while dpdk-gen waits for it.
ip netns exec "$DST_NS" "$XDP_RECV" --interface "$DST_IF" --results-dir "$WORK/recv" >"$WORK/recv.out" 2>&1 &
RECV_PID=$!
"$EBT_SOURCE_DIR/tools/testbed.sh" wait-listen 8080 "$RECV_PID" || { cat "$WORK/recv.out" >&2; fail "xdp-recv not listening"; }
tc_dst() { ip netns exec "$DST_NS" tc "$@"; }
tc_dst qdisc add dev "$DST_IF" clsact || fail "tc clsact (kernel CONFIG_NET_SCH_INGRESS) needed"
for bit in 0x0400 0x0800 0x1000 0x2000 0x4000 0x8000; do   # IPv4 total length >= 1024
  tc_dst filter add dev "$DST_IF" egress protocol ip prio 1 u32 match ip sport 8080 0xffff \
    match u16 $bit $bit at 2 action mirred egress redirect dev lo ||
    fail "tc u32 + mirred (kernel CONFIG_NET_CLS_U32, CONFIG_NET_ACT_MIRRED) needed"
done
gen_bg Refetch --rate 1000 --duration 1
wait_for "$WORK/recv.out" " done: " 30   # logged once 'results' is sent
kill -0 "$GEN_PID" 2>/dev/null || { cat "$WORK/gen-Refetch.out" >&2; fail "dpdk-gen did not wait for the held results"; }
held=$(tc_dst -s filter show dev "$DST_IF" egress | awk '$1 == "Sent" {n += $4} END {print n + 0}')
((held > 0)) || fail "the filter held no frame of the results"
killed=$(ip netns exec "$SRC_NS" ss -K -Htn state established '( dport = :8080 )' | wc -l)
((killed == 1)) || fail "ss -K closed $killed control connections, expected 1 (ss -K needs kernel CONFIG_INET_DIAG_DESTROY)"
tc_dst qdisc del dev "$DST_IF" clsact   # the new connection's results pass
gen_wait Refetch 0 30
grep -q "no results on the control connection: .*; reconnecting" "$WORK/gen-Refetch.out" ||
  { cat "$WORK/gen-Refetch.out" >&2; fail "dpdk-gen did not report the broken connection"; }
grep -q "fetched the receiver's results on a new connection" "$WORK/gen-Refetch.out" ||
  { cat "$WORK/gen-Refetch.out" >&2; fail "dpdk-gen did not fetch the results"; }
[[ $(grep -c "controller connected from" "$WORK/recv.out") -eq 2 ]] || fail "xdp-recv did not see exactly two connections"
g=$(gen_results Refetch)
[[ $(json_field "$g" 'd["test"]["status"]') == complete ]] || fail "refetched run: $(json_field "$g" 'd["test"]')"
[[ $(json_field "$g" 'd["receiver"]["test_packets"] == d["generator"]["sent_packets"] > 0') == True ]] ||
  fail "refetched run: received $(json_field "$g" 'd["receiver"]["test_packets"]') of $(json_field "$g" 'd["generator"]["sent_packets"]')"
r=$(recv_results)
[[ $(json_field "$r" 'd["test"]["status"]') == complete ]] || fail "xdp-recv's side of the refetched run: $(json_field "$r" 'd["test"]')"
[[ $(json_field "$r" 'd["receiver"]["test_packets"]') == $(json_field "$g" 'd["receiver"]["test_packets"]') ]] ||
  fail "the fetched results differ from xdp-recv's own"
drain_in "$g" 0 0.2 "drain_s %s with every packet in, expected < 0.2"
kill -TERM "$RECV_PID"; wait_exit "$RECV_PID" 10; wait "$RECV_PID" || true; RECV_PID=""
echo "ok 4: results held ($held frames), connection killed: dpdk-gen fetched them on a new connection, complete"
rm -rf "$WORK/recv"

# --- 5. The drain.  dpdk-gen's AF_PACKET port without qdisc bypass, so that
#        a clsact filter on the source veth sees its frames: every test
#        packet of flow 1 (flow id at IPv4 + 20 + 8 + 6) goes to lo and dies.
GEN_VDEV="net_af_packet0,iface=$SRC_IF,qdisc_bypass=0"
tc_src() { ip netns exec "$SRC_NS" tc "$@"; }
tc_src qdisc add dev "$SRC_IF" clsact
tc_src filter add dev "$SRC_IF" egress protocol ip prio 1 u32 match ip protocol 17 0xff \
  match u16 1 0xffff at 34 action mirred egress redirect dev lo
# 5a. Nothing more arrives after stop: the drain ends 200 ms after the last packet.
start_receiver
gen_bg Quiet --rate 1000 --duration 1
gen_wait Quiet 0 30
recv_wait 0 10
g=$(gen_results Quiet)
[[ $(json_field "$g" 'd["receiver"]["test_packets"] == [f["packets"] for f in d["generator"]["flows"] if f["flow_id"] == 0][0] > 0') == True ]] ||
  fail "flow 1 dropped: received $(json_field "$g" 'd["receiver"]["test_packets"]'), expected flow 0's $(json_field "$g" 'd["generator"]["flows"]')"
# 200 ms without a new packet, + 400 ms for the 10 ms polling and a loaded machine.
drain_in "$g" 0.2 0.6 "packets lost: drain_s %s, expected the 200 ms quiet rule (0.2 .. 0.6)"
echo "ok 5a: flow 1 lost: drain ended by the quiet rule after $DRAIN s"
rm -rf "$WORK/recv"
# 5b. Test packets of this test keep coming after stop (one every 10 ms, by
#     hand, flow 0): never 200 ms quiet, still fewer than sent: the 2 s cap.
start_receiver
gen_bg Trickle --rate 1000 --duration 2
wait_for "$WORK/recv.out" counting
id=$(grep -o "test [0-9]* 'Trickle'" "$WORK/recv.out" | head -n 1 | cut -d' ' -f2)
ip netns exec "$SRC_NS" $PY - "$DST_IP" "$id" >"$WORK/trickle.out" 2>&1 <<'PY' &
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
seq, end = 1 << 20, time.monotonic() + 60
while time.monotonic() < end:   # struct ebt_test_hdr: magic, version, flags, test id, flow, seq, tx time
    s.sendto(struct.pack(">HBBHHIHI", 0xEB7E, 1, 0, int(sys.argv[2]), 0, seq, 0, 0), (sys.argv[1], 9))
    seq += 1
    time.sleep(0.01)
PY
TRICKLE=$!
BG_PIDS+=("$TRICKLE")
gen_wait Trickle 0 30
kill -TERM "$TRICKLE"; wait "$TRICKLE" 2>/dev/null || true
recv_wait 0 10
g=$(gen_results Trickle)
[[ $(json_field "$g" 'd["receiver"]["test_packets"] < d["generator"]["sent_packets"]') == True ]] ||
  fail "the trickle test received $(json_field "$g" 'd["receiver"]["test_packets"]') of $(json_field "$g" 'd["generator"]["sent_packets"]') (needs fewer)"
drain_in "$g" 2 2.5 "packets trickling in: drain_s %s, expected the 2 s cap (2 .. 2.5)"
echo "ok 5b: packets trickling in: drain capped after $DRAIN s"
rm -rf "$WORK/recv"
tc_src qdisc del dev "$SRC_IF" clsact
unset GEN_VDEV

# --- 6. A second dpdk-gen during a test (the first runs until interrupted).
start_receiver
gen_bg Busy --rate $RATE --duration 120
wait_for "$WORK/recv.out" counting
id=$(grep -o "test [0-9]* 'Busy'" "$WORK/recv.out" | head -n 1 | cut -d' ' -f2)
rc=0
timeout 60 ip netns exec "$SRC_NS" "$DPDK_GEN" "${HX_EAL[@]}" --log-level=error \
  --vdev "net_af_packet0,iface=$SRC_IF" -- --dst-ip "$DST_IP" --rate 1000 --duration 1 --name Second \
  --results-dir "$WORK/gen-Second" >"$WORK/gen-Second.out" 2>&1 || rc=$?
[[ $rc -eq 1 ]] || { cat "$WORK/gen-Second.out" >&2; fail "second dpdk-gen exited $rc, expected 1"; }
[[ $(grep -c "ERROR" "$WORK/gen-Second.out") -eq 1 ]] || { cat "$WORK/gen-Second.out" >&2; fail "second dpdk-gen: expected one error line"; }
grep -q "ERROR coordination failed: xdp-recv is running test $id for another controller" "$WORK/gen-Second.out" ||
  { cat "$WORK/gen-Second.out" >&2; fail "second dpdk-gen: the error does not name the running test $id"; }
[[ ! -e "$WORK/gen-Second" ]] || fail "the refused dpdk-gen left a results directory"
grep -q "refused a second controller: busy with test $id" "$WORK/recv.out" || fail "xdp-recv did not log the refusal"
kill -INT "$GEN_PID"
gen_wait Busy 1 30
recv_wait 1 10
g=$(gen_results Busy)
[[ $(status_of "$g") == "incomplete|interrupted by SIGINT" ]] ||
  fail "the running test was disturbed: $(json_field "$g" 'd["test"]')"
[[ $(json_field "$g" 'd["receiver"]["test_packets"] == d["generator"]["sent_packets"] > 0') == True ]] ||
  fail "the running test lost packets: $(json_field "$g" 'd["receiver"]["test_packets"]') of $(json_field "$g" 'd["generator"]["sent_packets"]')"
echo "ok 6: second dpdk-gen: $(grep ERROR "$WORK/gen-Second.out" | cut -d' ' -f3-)"
echo "PASS recovery run"
