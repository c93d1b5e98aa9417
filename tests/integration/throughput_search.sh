#!/usr/bin/env bash
# The throughput search against devices of known behaviour, on the testbed:
#
# 1. Known capacity.  The tc token-bucket policer fixture on the source
#    veth's egress (it drops without back-pressuring the sender) lets
#    RATE_BPS through, counted on the wire (frame + FCS + preamble + IFG).
#    tools/rfc2544.sh searches at two frame sizes over one xdp-recv; at
#    each the NDR found must be within 3% of the policer's rate for that
#    size (its burst adds at most 1% over a 1 s trial), no trial
#    generator-limited.  Outputs: every file, summary.json valid against
#    the schema, every trial row equal to that trial's own results.json,
#    the plots present, the trial overhead printed.
# 2. Unshaped.  No fixture, max load 100% of the veth's 10 Gbit/s: the
#    generator is the limit and the result must say so, not report loss.
# 3. Back-pressure.  A tbf (behind dpdk-gen's AF_PACKET socket with
#    qdisc_bypass=0) mostly refuses frames to the socket instead of dropping
#    them like a wire: the search must report a generator limit, not an NDR
#    of the device.
source "$(dirname "$0")/lib.sh"

POLICER="$EBT_BUILD_DIR/tests/fixtures/ebt-tc-policer"
[[ -x $POLICER ]] || fail "no $POLICER"
SCHEMA="$EBT_SOURCE_DIR/schema/summary.schema.json"
RATE_BPS=12000000   # at L1: 17,857 64-byte frames/s, 2,819 512-byte ones
testbed_up
tcq() { ip netns exec "$SRC_NS" tc "$@"; }

QDISC_ON=""
qdisc_off() {
  if [[ -n "$QDISC_ON" ]]; then
    tcq qdisc del dev "$SRC_IF" root 2>/dev/null || true
    QDISC_ON=""
  fi
}
trap '_rc=$?; set +e; qdisc_off; (exit $_rc); cleanup' EXIT

# One xdp-recv serves every session (several dpdk-gen processes).
hx_start_receiver "$WORK/recv.out" 8080 --results-dir "$WORK/recv" || fail "xdp-recv not listening"
GEN=(ip netns exec "$SRC_NS" "$DPDK_GEN" "${HX_EAL[@]}")
VDEV="net_af_packet0,iface=$SRC_IF,qdisc_bypass=0"

# --- 1. Known capacity, through tools/rfc2544.sh.
mkfifo "$WORK/pol.in"
ip netns exec "$SRC_NS" "$POLICER" --dev "$SRC_IF" --rate-bps "$RATE_BPS" --overhead-bytes 24 \
  <"$WORK/pol.in" >"$WORK/pol.out" 2>"$WORK/pol.err" &
POL_PID=$!
BG_PIDS+=("$POL_PID")
exec {POL_IN}>"$WORK/pol.in"
wait_for "$WORK/pol.out" '^ready$' 20 "$POL_PID"
EBT_DPDK_GEN="${GEN[*]}" "$EBT_SOURCE_DIR/tools/rfc2544.sh" --sizes 64,512 --out "$WORK/rfc" \
  --vdev "$VDEV" -- \
  --dst-ip "$DST_IP" --flows 4 --search-max-load 24Mbps --latency-trials 1 --results-dir "$WORK/gen" \
  >"$WORK/rfc.out" 2>"$WORK/rfc.err" || { cat "$WORK/rfc.err" "$WORK/recv.out" >&2; fail "tools/rfc2544.sh failed"; }
exec {POL_IN}>&-
wait "$POL_PID" || fail "the policer exited non-zero: $(cat "$WORK/pol.err")"
[[ -z $(tcq filter show dev "$SRC_IF" egress) ]] || fail "the policer left a filter on $SRC_IF"

$PY - "$WORK/rfc" "$SCHEMA" "$RATE_BPS" <<'EOF' || { cat "$WORK/rfc.err" >&2; fail "known-capacity search"; }
import json, os, sys
import jsonschema
out, schema_path, rate_bps = sys.argv[1], sys.argv[2], int(sys.argv[3])
schema = json.load(open(schema_path))
def check(ok, what):
    if not ok:
        sys.exit("FAIL: " + what)
for size in (64, 512):
    s = json.load(open(f"{out}/{size}/summary.json"))
    jsonschema.validate(s, schema, cls=jsonschema.Draft202012Validator)
    check(s["status"] == "complete" and s["frame"]["on_wire_bytes"] == size and s["frame"]["packet_size"] == size - 4,
          f"{size}: status {s['status']}, frame {s['frame']}")
    # The policer's rate for this size: frame + FCS + 20 B of preamble, SFD and IFG.
    capacity = rate_bps / ((size + 20) * 8)
    goals = {g["name"]: g for g in s["search"]["goals"]}
    ndr = goals["NDR"]
    check(not ndr["generator_limited"] and not ndr["max_load_is_lower_bound"], f"{size}: NDR flagged {ndr}")
    check(abs(ndr["lower_bound_pps"] - capacity) <= 0.03 * capacity,
          f"{size}: NDR {ndr['lower_bound_pps']} pps, the policer passes {capacity:.0f}")
    check(ndr["upper_bound_pps"] > ndr["lower_bound_pps"], f"{size}: NDR bounds {ndr}")
    run = os.path.realpath(f"{out}/{size}/run")
    purposes = [t["purpose"] for t in s["trials"]]
    check(purposes[0] == "warmup" and purposes.count("latency") == 4, f"{size}: purposes {purposes}")
    for t in s["trials"]:
        check(not t["generator_limited"], f"{size}: trial {t['index']} generator-limited: {t['generator_limit_reason']}")
        r = json.load(open(f"{run}/{t['dir']}/results.json"))
        check(r["test"]["status"] == "complete", f"{size}: trial {t['index']} {r['test']['status']}")
        check(t["sent"] == r["summary"]["sent_packets"] and t["received"] == r["summary"]["received_packets"],
              f"{size}: trial {t['index']} row {t['sent']}/{t['received']} != its results.json")
        check(t["received"] == r["receiver"]["test_packets"], f"{size}: trial {t['index']} receiver count")
        check(t["intended"] == r["generator"]["target_packets"], f"{size}: trial {t['index']} intended")
    for f in ("summary.csv", "summary.md"):
        check(os.path.getsize(f"{run}/{f}") > 0, f"{size}: {f} empty")
    check("Trial overhead" in open(f"{run}/summary.md").read(), f"{size}: overhead not printed")
    print(f"size {size}: NDR {ndr['lower_bound_pps']:.0f} pps (policer {capacity:.0f}), "
          f"PDR {goals['PDR']['conditional_throughput_pps']:.0f}, {len(s['trials'])} trials, "
          f"overhead mean {s['overhead']['per_trial_mean_s']:.3f} s max {s['overhead']['per_trial_max_s']:.3f} s")
for p in ("throughput_vs_frame_size", "loss_vs_load", "latency_vs_load"):
    for ext in ("svg", "png"):
        check(os.path.getsize(f"{out}/{p}.{ext}") > 0, f"{p}.{ext} missing or empty")
check(os.path.getsize(f"{out}/report.md") > 0, "report.md")
EOF

# --- 2. Unshaped: the generator is the limit.  While it runs, the
# session's /status on the source side answers as dpdk-gen's.
"${GEN[@]}" --vdev "$VDEV" -- --dst-ip "$DST_IP" --flows 4 --size 60 \
  --search ndr-pdr --search-max-load 100% --search-time-limit 8 --latency-trials 0 --results-dir "$WORK/gen" \
  --summary-json --name Unshaped >"$WORK/unshaped.out" 2>"$WORK/unshaped.err" &
GEN_PID=$!
wait_for "$WORK/unshaped.err" 'HTTP /health /status /metrics on port 8080' 30 "$GEN_PID"
ip netns exec "$SRC_NS" $PY -c '
import json, sys, urllib.request
d = json.load(urllib.request.urlopen(f"http://{sys.argv[1]}:8080/status", timeout=5))
assert d["role"] == "generator" and d["test_name"] == "Unshaped", d
' "$SRC_IP" || fail "dpdk-gen /status during the session"
wait "$GEN_PID" || { cat "$WORK/unshaped.err" >&2; fail "unshaped search failed"; }
GEN_PID=""

check_generator_limited() {  # NAME: every goal flagged, the summary says who was the limit
  $PY - "$WORK/$1.out" "$SCHEMA" "$1" <<'EOF' || { cat "$WORK/$1.err" >&2; fail "$1: not reported as the generator's limit"; }
import json, sys
import jsonschema
line = open(sys.argv[1]).read().splitlines()[-1]
s = json.loads(line)
check = lambda ok, what: ok or sys.exit("FAIL: " + what)
check(s["type"] == "summary", "the last line is not the summary")
summary = json.load(open(s["summary_dir"] + "/summary.json"))
jsonschema.validate(summary, json.load(open(sys.argv[2])), cls=jsonschema.Draft202012Validator)
check(any(t["generator_limited"] for t in summary["trials"]), "no trial generator-limited")
for g in summary["search"]["goals"]:
    check(g["generator_limited"] and g["generator_limit_pps"] is not None, f"goal {g['name']} not flagged: {g}")
    lb = g["lower_bound_pps"]
    check(lb is None or lb <= g["generator_limit_pps"], f"goal {g['name']}: lower bound {lb} above the generator's limit")
md = open(s["summary_dir"] + "/summary.md").read()
check("the generator, not the device, was the limit" in md, "summary.md does not say who was the limit")
print(f"{sys.argv[3]}: generator limit {summary['search']['goals'][0]['generator_limit_pps']:.0f} pps, "
      f"{len(summary['trials'])} trials")
EOF
}
check_generator_limited unshaped

# --- 3. Back-pressure: a tbf for the test frames (UDP to port 9) under an
# htb whose default class carries the control connection and ARP.
QDISC_ON=1
tcq qdisc add dev "$SRC_IF" root handle 1: htb default 10
tcq class add dev "$SRC_IF" parent 1: classid 1:10 htb rate 1gbit quantum 60000
tcq class add dev "$SRC_IF" parent 1: classid 1:20 htb rate 1gbit quantum 60000
tcq qdisc add dev "$SRC_IF" parent 1:20 handle 20: tbf rate 20mbit burst 8kb limit 1000
tcq filter add dev "$SRC_IF" parent 1: protocol ip prio 1 u32 \
  match ip protocol 17 0xff match ip dport 9 0xffff flowid 1:20
"${GEN[@]}" --vdev "$VDEV" -- --dst-ip "$DST_IP" --flows 4 --size 60 \
  --search ndr-pdr --search-max-load 60kpps --search-time-limit 8 --latency-trials 0 --results-dir "$WORK/gen" \
  --summary-json --name BackPressure >"$WORK/tbf.out" 2>"$WORK/tbf.err" ||
  { cat "$WORK/tbf.err" >&2; fail "back-pressure search failed"; }
qdisc_off
check_generator_limited tbf

stop_processes
assert_no_xdp
echo "PASS throughput search: known capacity, unshaped and back-pressure"
