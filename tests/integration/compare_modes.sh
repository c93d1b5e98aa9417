#!/usr/bin/env bash
# Baseline vs XDP in one command, on the testbed: the receive mode is the
# generator's per-test request (network_config.dst_machine.receiver_mode,
# dpdk-gen --receiver-mode) to an xdp-recv serving several (--modes).
#   1. bad flags: --mode with --modes, a bad --modes list, a bad
#      --receiver-mode, and compare-modes.sh's own: exit 2, one line naming
#      the flag;
#   2. --check-only checks each served mode's needs (XDP rows, the
#      baseline row); tools/compare-modes.sh --loads 5kpps,20kpps
#      --trial-duration 2 against one xdp-recv --modes xdp,baseline: both
#      summaries valid against the
#      schema, every trial's receiver report in the mode its run asked for,
#      compare.json with both modes at each load and the ratios equal to the
#      figures' quotient (the figures equal to the trials' results.json),
#      compare.md and the plots written;
#   3. no request: the receiver's first mode (--modes baseline,xdp: baseline);
#   4. a request for a mode not served (--receiver-mode baseline against
#      --modes xdp): refused before the test, dpdk-gen exits 1 naming the
#      mode and the served list, the receiver logs it and writes nothing;
#   5. the same through tools/compare-modes.sh: exit 1, the refusal in its
#      output, the xdp run compared and the baseline's figures missing.
source "$(dirname "$0")/lib.sh"

SUMMARY_SCHEMA="$EBT_SOURCE_DIR/schema/summary.schema.json"
COMPARE="$EBT_SOURCE_DIR/tools/compare-modes.sh"

# --- 1. bad flags (no testbed needed: rejected before anything else) ---
# expect_exit2 WORD CMD...: exit 2 and one line naming WORD (besides the
# DPDK EAL's start-up lines: dpdk-gen reads its options after rte_eal_init).
expect_exit2() {
  local word=$1 rc=0
  shift
  "$@" >"$WORK/bad.all" 2>&1 || rc=$?
  grep -v -e '^EAL: ' -e '^TELEMETRY: ' "$WORK/bad.all" >"$WORK/bad.out" || true
  [[ $rc -eq 2 ]] || { cat "$WORK/bad.all" >&2; fail "$* exited $rc, expected 2"; }
  grep -q -- "$word" "$WORK/bad.out" || { cat "$WORK/bad.all" >&2; fail "$*: message does not name $word"; }
  [[ $(wc -l <"$WORK/bad.out") -eq 1 ]] || { cat "$WORK/bad.all" >&2; fail "$*: more than one line"; }
}
expect_exit2 "--mode and --modes" "$XDP_RECV" --interface lo --mode xdp --modes xdp,baseline
expect_exit2 "--modes" "$XDP_RECV" --interface lo --modes xdp,ebpf
expect_exit2 "--modes" "$XDP_RECV" --interface lo --modes xdp,xdp
expect_exit2 "--receiver-mode" "$DPDK_GEN" "${HX_EAL[@]}" --vdev net_null0 -- --receiver-mode ebpf --dry-run
grep -q 'xdp, baseline' "$WORK/bad.out" || { cat "$WORK/bad.out" >&2; fail "--receiver-mode: the allowed values not named"; }
expect_exit2 "--loads" "$COMPARE" --vdev net_null0 -- --dst-ip 198.18.0.2
expect_exit2 "--receiver-mode" "$COMPARE" --loads 5kpps --vdev net_null0 -- --receiver-mode xdp
expect_exit2 "--trial-duration" "$COMPARE" --loads 5kpps --trial-duration 0 --vdev net_null0 -- --dst-ip 198.18.0.2
[[ ! -e "$WORK/recv" ]] || fail "a results directory was created for bad flags"

testbed_up
GEN=(ip netns exec "$SRC_NS" "$DPDK_GEN" "${HX_EAL[@]}")

# --check-only checks what each served mode needs: XDP rows for xdp, the
# baseline row for baseline.
check_rows() {  # check_rows MODES: the check table's items, one line
  ip netns exec "$DST_NS" "$XDP_RECV" --interface "$DST_IF" --modes "$1" --check-only >"$WORK/check.out" 2>&1 \
    || { cat "$WORK/check.out" >&2; fail "--check-only --modes $1 failed"; }
  awk 'NR > 1 { printf "%s ", $1 }' "$WORK/check.out"
}
rows=$(check_rows xdp,baseline)
[[ $rows == *"XDP "*"bpf_link "*"baseline "* ]] || fail "--check-only --modes xdp,baseline rows: $rows"
rows=$(check_rows baseline)
[[ $rows == *"baseline "* && $rows != *"XDP "* && $rows != *"bpf_link "* ]] || fail "--check-only --modes baseline rows: $rows"
rows=$(check_rows xdp)
[[ $rows == *"bpf_link "* && $rows != *"baseline "* ]] || fail "--check-only --modes xdp rows: $rows"
assert_no_xdp

# --- 2. both modes, one receiver, one command ---
hx_start_receiver "$WORK/recv.out" 8080 --results-dir "$WORK/recv" --modes xdp,baseline \
  || fail "xdp-recv not listening"
EBT_DPDK_GEN="${GEN[*]}" "$COMPARE" --loads 5kpps,20kpps --trial-duration 2 --out "$WORK/cmp" \
  --vdev "net_af_packet0,iface=$SRC_IF" -- \
  --dst-ip "$DST_IP" --flows 4 --size 60 --results-dir "$WORK/gen" \
  >"$WORK/cmp.out" 2>"$WORK/cmp.err" || { cat "$WORK/cmp.err" >&2; fail "tools/compare-modes.sh failed"; }
cat "$WORK/cmp/compare.md"
kill -TERM "$RECV_PID"
wait "$RECV_PID" || fail "xdp-recv --modes xdp,baseline exited non-zero after its two sessions"
RECV_PID=""
assert_no_xdp
grep -q "receive mode baseline, as the generator asked" "$WORK/recv.out" || fail "xdp-recv did not log the mode asked"
grep -q "receive modes served: xdp,baseline (default xdp;" "$WORK/recv.out" || fail "xdp-recv did not say its modes"

$PY - "$WORK/cmp" "$SUMMARY_SCHEMA" <<'EOF' || { cat "$WORK/cmp.err" >&2; fail "the comparison"; }
import json, math, os, sys
import jsonschema
out, schema_path = sys.argv[1], sys.argv[2]
schema = json.load(open(schema_path))
def check(ok, what):
    if not ok:
        sys.exit("FAIL: " + what)
def close(a, b):
    return a is None and b is None or (a is not None and b is not None and math.isclose(a, b, rel_tol=1e-12))
LOADS = [("5kpps", 5000), ("20kpps", 20000)]
trials = {}
for mode in ("xdp", "baseline"):
    s = json.load(open(f"{out}/{mode}/summary.json"))
    jsonschema.validate(s, schema, cls=jsonschema.Draft202012Validator)
    check(s["status"] == "complete", f"{mode}: summary status {s['status']} {s['status_reason']}")
    check(s["receiver_mode"] == mode, f"{mode}: summary receiver_mode {s['receiver_mode']}")
    run = os.path.realpath(f"{out}/{mode}/run")
    sweep = [t for t in s["trials"] if t["purpose"] == "sweep"]
    check([t["load_pps"] for t in sweep] == [p for _, p in LOADS], f"{mode}: loads {[t['load_pps'] for t in sweep]}")
    for t in sweep:
        r = json.load(open(f"{run}/{t['dir']}/results.json"))
        rec = r["receiver"]
        check(rec["mode"] == mode, f"{mode}: trial {t['index']} counted in mode {rec['mode']}")
        check((rec["xdp_mode"] == "none") == (mode == "baseline"), f"{mode}: trial {t['index']} xdp_mode {rec['xdp_mode']}")
        check(r["test"]["status"] == "complete", f"{mode}: trial {t['index']} {r['test']['status']}")
        check(r["config"]["network_config"]["dst_machine"]["receiver_mode"] == mode,
              f"{mode}: trial {t['index']} config does not record the request")
    trials[mode] = [(t, json.load(open(f"{run}/{t['dir']}/results.json"))) for t in sweep]

c = json.load(open(f"{out}/compare.json"))
check(c["loads"] == [n for n, _ in LOADS], f"compare.json loads {c['loads']}")
check(len(c["rows"]) == len(LOADS), f"compare.json rows {len(c['rows'])}")
for i, (row, (name, pps)) in enumerate(zip(c["rows"], LOADS)):
    check(row["load"] == name and row["load_pps"] == pps, f"row {i}: {row['load']} {row['load_pps']}")
    for mode in ("xdp", "baseline"):
        m = row[mode]
        check(m is not None, f"{name}: no {mode} figures")
        t, r = trials[mode][i]
        sysr = r["receiver"]["system"]
        check(m["receiver_mode"] == mode, f"{name} {mode}: receiver_mode {m['receiver_mode']}")
        check(m["receive_cpu_ns_per_packet"] is not None and m["receive_cpu_ns_per_packet_bound"] is not None,
              f"{name} {mode}: no receive CPU figure")
        check(m["receive_cpu_ns_per_packet"] == sysr["receive_cpu_ns_per_packet"]
              and m["receive_cpu_ns_per_packet_bound"] == sysr["receive_cpu_ns_per_packet_bound"],
              f"{name} {mode}: CPU figures differ from the trial's results.json")
        check(m["loss_ratio"] == t["loss_ratio"] and m["latency_ns"] == t["latency_ns"],
              f"{name} {mode}: loss or latency differ from the summary")
    x, b, q = row["xdp"], row["baseline"], row["baseline_over_xdp"]
    quot = lambda bv, xv: None if bv is None or xv is None or xv == 0 else bv / xv
    key = "receive_cpu_ns_per_packet"
    check(close(q[key], quot(b[key], x[key])), f"{name}: CPU ratio {q[key]} != {b[key]} / {x[key]}")
    # At these loads a 2 s trial's receive CPU may be under one 10 ms tick: 0,
    # and then no ratio (its range still says what the bounds allow).
    check((q[key] is None) == (x[key] == 0), f"{name}: CPU ratio {q[key]} for an xdp figure of {x[key]}")
    lo, hi = q[key + "_range"]
    check(q[key] is None or (lo <= q[key] and (hi is None or q[key] <= hi)),
          f"{name}: CPU ratio {q[key]} outside its range {lo}..{hi}")
    check(close(q["loss_ratio"], quot(b["loss_ratio"], x["loss_ratio"])), f"{name}: loss ratio quotient")
    for p in ("p50", "p99", "max"):
        bl, xl = b["latency_ns"], x["latency_ns"]
        check(close(q[f"latency_{p}_ns"], quot(bl and bl[p], xl and xl[p])), f"{name}: latency {p} quotient")
    print(f"{name}: receive CPU ns/packet xdp {x[key]:.0f} +- {x[key + '_bound']:.0f}, "
          f"baseline {b[key]:.0f} +- {b[key + '_bound']:.0f}, baseline/xdp "
          f"{'-' if q[key] is None else format(q[key], '.2f')} "
          f"({lo:.2f}..{'inf' if hi is None else format(hi, '.2f')}); loss xdp {x['loss_ratio']:.3g} "
          f"baseline {b['loss_ratio']:.3g}; p50 us xdp {x['latency_ns']['p50'] / 1e3:.1f} "
          f"baseline {b['latency_ns']['p50'] / 1e3:.1f}")
for mode in ("xdp", "baseline"):
    check(mode in c["modes"] and "highest_zero_loss_load_pps" in c["modes"][mode], f"compare.json: modes.{mode}")
    print(f"{mode}: highest load with zero loss {c['modes'][mode]['highest_zero_loss_load']}")
md = open(f"{out}/compare.md").read()
check("# Baseline vs XDP" in md and all(n in md for n, _ in LOADS), "compare.md lacks the title or a load")
for p in ("cpu_vs_load", "loss_vs_load"):
    for ext in ("svg", "png"):
        check(os.path.getsize(f"{out}/plots/{p}.{ext}") > 0, f"plots/{p}.{ext} missing or empty")
check(os.path.getsize(f"{out}/plots/report.md") > 0, "plots/report.md")
EOF

# --- 3. no request: the receiver's first mode ---
start_receiver --modes baseline,xdp
"${GEN[@]}" --vdev "net_af_packet0,iface=$SRC_IF" -- --dst-ip "$DST_IP" --rate 1000 --duration 1 --flows 2 \
  --size 60 --name DefaultMode --results-dir "$WORK/gen-default" >"$WORK/gen.out" 2>&1 \
  || { cat "$WORK/gen.out" >&2; fail "dpdk-gen without --receiver-mode failed"; }
wait "$RECV_PID" || fail "xdp-recv --once --modes baseline,xdp exited non-zero"
RECV_PID=""
mode=$(result_get "$(only_dir "$WORK/gen-default/two_machine")" receiver.mode)
[[ $mode == baseline ]] || fail "a test asking for no mode was counted in '$mode', not the first served (baseline)"
grep -q "receive mode baseline, this receiver's default" "$WORK/recv.out" || fail "xdp-recv did not log its default"
mv "$WORK/recv" "$WORK/recv-default"

# --- 4. a mode not served is refused ---
start_receiver --modes xdp
rc=0
"${GEN[@]}" --vdev "net_af_packet0,iface=$SRC_IF" -- --dst-ip "$DST_IP" --rate 1000 --duration 1 --size 60 \
  --receiver-mode baseline --name Refused --results-dir "$WORK/gen-refused" >"$WORK/gen.out" 2>&1 || rc=$?
[[ $rc -eq 1 ]] || { cat "$WORK/gen.out" >&2; fail "dpdk-gen --receiver-mode baseline against --modes xdp: exit $rc, expected 1"; }
grep -q "baseline is not served by this receiver (it serves xdp" "$WORK/gen.out" \
  || { cat "$WORK/gen.out" >&2; fail "dpdk-gen's output does not name the mode asked and the modes served"; }
rc=0
wait "$RECV_PID" || rc=$?
RECV_PID=""
[[ $rc -eq 1 ]] || fail "xdp-recv --once after a refused test: exit $rc, expected 1"
grep -q "baseline is not served by this receiver (it serves xdp" "$WORK/recv.out" || fail "xdp-recv did not log the refusal"
[[ ! -e "$WORK/recv/receiver" ]] || fail "xdp-recv wrote results for a refused test"
assert_no_xdp

# --- 5. the same through tools/compare-modes.sh: exit 1, the refusal shown,
# the xdp figures compared and the baseline's missing ---
hx_start_receiver "$WORK/recv5.out" 8080 --results-dir "$WORK/recv5" --modes xdp || fail "xdp-recv not listening"
rc=0
EBT_DPDK_GEN="${GEN[*]}" "$COMPARE" --loads 5kpps --trial-duration 2 --out "$WORK/cmp5" \
  --vdev "net_af_packet0,iface=$SRC_IF" -- --dst-ip "$DST_IP" --size 60 --results-dir "$WORK/gen5" \
  >"$WORK/cmp5.out" 2>"$WORK/cmp5.err" || rc=$?
kill -TERM "$RECV_PID"
wait "$RECV_PID" || true   # its last session was refused: exit 1
RECV_PID=""
[[ $rc -eq 1 ]] || { cat "$WORK/cmp5.err" >&2; fail "compare-modes.sh against --modes xdp: exit $rc, expected 1"; }
grep -q "baseline is not served by this receiver (it serves xdp" "$WORK/cmp5.err" \
  || { cat "$WORK/cmp5.err" >&2; fail "compare-modes.sh did not show the refusal"; }
$PY - "$WORK/cmp5/compare.json" <<'EOF5' || fail "compare.json after a refused mode"
import json, sys
c = json.load(open(sys.argv[1]))
row = c["rows"][0]
assert row["xdp"] is not None and row["xdp"]["receiver_mode"] == "xdp", row["xdp"]
assert row["baseline"] is None, row["baseline"]
assert c["modes"]["baseline"]["status"] == "incomplete" and c["modes"]["baseline"]["trials"] == 0, c["modes"]
EOF5
assert_no_xdp

echo "PASS baseline vs XDP: one receiver, the mode per test, compared in one command; a mode not served refused"
