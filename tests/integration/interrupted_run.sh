#!/usr/bin/env bash
# A test interrupted on either side ends as "incomplete" with the reason on
# both sides, results written, and the XDP program detached.
source "$(dirname "$0")/lib.sh"

testbed_up

run_gen_bg() {  # not through gen_in_src: $! must be dpdk-gen itself (ip netns exec execs it)
  ip netns exec "$SRC_NS" "$DPDK_GEN" "${HX_EAL[@]}" --vdev "net_af_packet0,iface=$SRC_IF" -- --dst-ip "$DST_IP" --rate 5000 --duration "$1" \
    --flows 4 --size 64 --name "$2" --results-dir "$WORK/gen-$2" --stats-json >"$WORK/gen-$2.json" 2>"$WORK/gen-$2.out" &
  GEN_PID=$!
}

# wait_sent NAME N: bounded wait until dpdk-gen's JSON lines report at least N packets sent.
wait_sent() {
  local i n
  for ((i = 0; i < 400; i++)); do
    n=$({ grep -o '"packets":[0-9]*' "$WORK/gen-$1.json" 2>/dev/null || true; } | tail -n 1 | cut -d: -f2)
    [[ -n "$n" && "$n" -ge "$2" ]] && return 0
    sleep 0.05
  done
  cat "$WORK/gen-$1.out" >&2
  fail "dpdk-gen did not report $2 packets sent within 20 s"
}


# fresh_line NAME MIN: bounded (20 s) wait, polling every 10 ms, for an
# interval line of dpdk-gen's JSON output that appears while we watch and
# reports at least MIN packets; saves it in $WORK/line-NAME.json and the
# CLOCK_REALTIME ns at which it was seen in $WORK/seen-NAME.
fresh_line() {
  local i n prev line
  prev=$(grep -c '"type":"interval"' "$WORK/gen-$1.json" 2>/dev/null || true)
  for ((i = 0; i < 2000; i++)); do
    n=$(grep -c '"type":"interval"' "$WORK/gen-$1.json" 2>/dev/null || true)
    if [[ "$n" != "$prev" ]]; then
      date +%s%N >"$WORK/seen-$1"
      line=$(grep '"type":"interval"' "$WORK/gen-$1.json" | tail -n 1)
      if [[ $(grep -o '"packets":[0-9]*' <<<"$line" | cut -d: -f2) -ge $2 ]]; then
        echo "$line" >"$WORK/line-$1.json"
        return 0
      fi
      prev=$n
    fi
    sleep 0.01
  done
  cat "$WORK/gen-$1.out" >&2
  fail "dpdk-gen did not report $2 packets sent within 20 s"
}

# 1. The generator is interrupted (SIGINT) mid-test, after at least 3000
#    packets: it stops sending, still collects the receiver's counts (stop
#    with the reason; the receiver drains and answers), and writes them
#    with the test marked incomplete: received equals sent, per flow.
#    It stops at once: the signal goes right after a fresh live line (t_s,
#    packets), so the TX lcore, whose elapsed_s counts from the same
#    launch, must have ended within 0.5 s of the signal:
#      elapsed_s <= t_s + (signal - line seen) + 0.5 s,
#    and what it sent after that line is bounded by the time from the line
#    to dpdk-gen's exit at no more than twice the rate (the catch-up's
#    limit) + 0.1 s:  sent - packets <= 2 x 5000 x (end - seen + 0.1 s).
#    Had the signal not stopped the traffic, the 30 s test would have run on.
start_receiver
run_gen_bg 30 GenInterrupted
wait_for "$WORK/recv.out" "counting"
fresh_line GenInterrupted 3000
t_sig=$(date +%s%N)
kill -INT "$GEN_PID"
rc=0; wait "$GEN_PID" || rc=$?
t_end=$(date +%s%N)
[[ $rc -eq 1 ]] || { cat "$WORK/gen-GenInterrupted.out" >&2; fail "interrupted dpdk-gen exited $rc, expected 1"; }
rc=0; wait "$RECV_PID" || rc=$?; RECV_PID=""
[[ $rc -eq 1 ]] || fail "xdp-recv exited $rc after an interrupted test, expected 1"
assert_no_xdp
gen_dir=$(only_dir "$WORK/gen-GenInterrupted/two_machine")
s=$(status_of "$gen_dir/results.json")
[[ "$s" == "incomplete|interrupted by SIGINT" ]] || fail "generator results: $s"
$CHECK "$gen_dir" --status incomplete --flows 4 || fail "interrupted test: results check"
s=$(status_of "$(only_dir "$WORK/recv/receiver")/results.json")
[[ "$s" == "incomplete|generator: interrupted by SIGINT" ]] || fail "receiver results: $s"
$PY - "$gen_dir/results.json" <<'PY' || fail "interrupted test: the receiver's counts do not match what was sent"
import json, sys
r = json.load(open(sys.argv[1]))
g, rx = r["generator"], r.get("receiver")
assert rx is not None, "no receiver section in the merged results"
assert g["sent_packets"] >= 3000, g["sent_packets"]
assert g["sent_packets"] < g["target_packets"], "the test was not cut short"
sent = {f["flow_id"]: f["packets"] for f in g["flows"]}
got = {f["flow_id"]: f["packets"] for f in rx["flows"]}
assert sent == got, f"per flow: sent {sent}, received {got}"
assert all(f["lost"] == 0 and f["duplicates"] == 0 for f in rx["flows"]), rx["flows"]
assert rx["test_packets"] == g["sent_packets"], (rx["test_packets"], g["sent_packets"])
PY
$PY - "$gen_dir/results.json" "$WORK/line-GenInterrupted.json" "$(cat "$WORK/seen-GenInterrupted")" "$t_sig" "$t_end" \
  <<'PY' || fail "interrupted test: dpdk-gen did not stop at once"
import json, sys
g = json.load(open(sys.argv[1]))["generator"]
line = json.load(open(sys.argv[2]))
seen, sig, end = (int(a) / 1e9 for a in sys.argv[3:6])
rate = 5000
(t,) = g["threads"]
assert t["end"] == "stopped", f"TX lcore end {t['end']}, expected stopped"
bound = line["t_s"] + (sig - seen) + 0.5
print(f"stop: live line at t={line['t_s']} s ({line['packets']} sent), SIGINT {1e3 * (sig - seen):.0f} ms after it was seen; "
      f"TX lcore ended at {t['elapsed_s']:.3f} s (bound {bound:.3f} s); {g['sent_packets'] - line['packets']} sent after the line, "
      f"dpdk-gen exited {1e3 * (end - sig):.0f} ms after the signal")
assert t["elapsed_s"] <= bound, f"the TX lcore ran {t['elapsed_s']:.3f} s, over 0.5 s past the signal (bound {bound:.3f} s)"
after = g["sent_packets"] - line["packets"]
assert 0 <= after <= 2 * rate * (end - seen + 0.1), \
    f"{after} packets sent after the line seen {end - seen:.3f} s before dpdk-gen exited: over twice {rate} pps"
PY
grep -q "received $(result_get "$gen_dir" generator.sent_packets), lost 0" \
  "$WORK/gen-GenInterrupted.out" || { cat "$WORK/gen-GenInterrupted.out" >&2; fail "the summary line does not show the receiver's count"; }
rm -rf "$WORK/recv"

# 1b. A second SIGINT gives up waiting for the receiver's counts: with the
#     receiver frozen (SIGSTOP) the first one leaves dpdk-gen waiting for
#     results; the second ends it, results written without the receiver.
start_receiver
run_gen_bg 30 GenTwice
wait_for "$WORK/recv.out" "counting"
wait_sent GenTwice 1000
kill -STOP "$RECV_PID"
kill -INT "$GEN_PID"
wait_for "$WORK/gen-GenTwice.out" "collecting the receiver's counts (interrupt again to skip)"
kill -INT "$GEN_PID"
rc=0; wait "$GEN_PID" || rc=$?
kill -CONT "$RECV_PID"
[[ $rc -eq 1 ]] || { cat "$WORK/gen-GenTwice.out" >&2; fail "dpdk-gen interrupted twice exited $rc, expected 1"; }
s=$(status_of "$(only_dir "$WORK/gen-GenTwice/two_machine")/results.json")
[[ "$s" == "incomplete|interrupted by SIGINT; the receiver's counts were not collected (interrupted again)" ]] ||
  fail "generator results after a second SIGINT: $s"
rc=0; wait "$RECV_PID" || rc=$?; RECV_PID=""
[[ $rc -eq 1 ]] || fail "xdp-recv exited $rc after the generator gave up, expected 1"
assert_no_xdp
rm -rf "$WORK/recv"

# 2. The receiver is stopped (SIGTERM) mid-test: the generator notices at once
#    (connection closed) and stops its traffic.
start_receiver
run_gen_bg 4 RecvStopped
wait_for "$WORK/recv.out" "counting"
kill -TERM "$RECV_PID"
rc=0; wait "$RECV_PID" || rc=$?; RECV_PID=""
[[ $rc -eq 1 ]] || fail "xdp-recv exited $rc after SIGTERM mid-test, expected 1"
assert_no_xdp
s=$(status_of "$(only_dir "$WORK/recv/receiver")/results.json")
[[ "$s" == "incomplete|xdp-recv interrupted by a signal" ]] || fail "receiver results: $s"
rc=0; wait "$GEN_PID" || rc=$?
[[ $rc -eq 1 ]] || { cat "$WORK/gen-RecvStopped.out" >&2; fail "dpdk-gen exited $rc without receiver results, expected 1"; }
s=$(status_of "$(only_dir "$WORK/gen-RecvStopped/two_machine")/results.json")
[[ "$s" == incomplete\|"receiver lost during the test"* ]] || fail "generator results: $s"
echo "PASS interrupted runs"
