#!/usr/bin/env bash
# dpdk-gen alone on net_null (no testbed, no receiver): live output modes
# (--stats-json lines parse and their final totals equal results.json;
# --quiet prints nothing live; --summary-json's object equals results.json;
# without a terminal one log line per
# interval), --count (exact totals at a paced rate, at max, cutting a
# pattern schedule) and pattern runs (exact schedule totals, seeds recorded).
source "$(dirname "$0")/lib.sh"

EAL=("${HX_EAL[@]}" --vdev net_null0 --log-level=error)
ALONE=(--no-coordination --dst-mac 02:00:00:00:00:02)
run=0
gen() {  # gen NAME ARGS...: runs dpdk-gen into $WORK/NAME/, stdout/stderr kept
  local name=$1; shift
  mkdir -p "$WORK/$name"
  "$DPDK_GEN" "${EAL[@]}" -- "${ALONE[@]}" --results-dir "$WORK/$name/res" "$@" \
    >"$WORK/$name/stdout" 2>"$WORK/$name/stderr" ||
    { cat "$WORK/$name/stderr" >&2; fail "$name: dpdk-gen exited non-zero"; }
}

cat >"$WORK/fast.yaml" <<'YAML'
monitoring_config:
  real_time: {enabled: true, update_interval: 0.2}
YAML

# 1. --stats-json: every stdout line is a JSON object; intervals, then one
# final whose totals are results.json's.
gen json --config "$WORK/fast.yaml" --rate 20000 --count 24000 --flows 3 --size 60 --stats-json
$PY - "$WORK/json/stdout" "$(only_dir "$WORK/json/res/two_machine")/results.json" <<'PY' || fail "--stats-json"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
objs = [json.loads(l) for l in lines]          # every line parses
assert all(isinstance(o, dict) for o in objs), "not objects"
iv = [o for o in objs if o["type"] == "interval"]
fin = [o for o in objs if o["type"] == "final"]
assert len(fin) == 1 and objs[-1] is fin[0], "one final object, last"
assert len(iv) >= 3, f"{len(iv)} interval lines in 1.2 s at 0.2 s"
for o in iv:
    for k in ("t_s", "packets", "bytes", "pps", "mbps_l1", "mbps_l2", "tx_full_retries", "tx_full_dropped",
              "late_bursts", "progress_pct", "target_packets", "target_pps", "rx_packets", "rx_pps", "rx_lost"):
        assert k in o, f"interval without {k}"
    assert o["target_packets"] == 24000 and 0 <= o["progress_pct"] <= 100
pk = [o["packets"] for o in iv]
assert pk == sorted(pk), "cumulative packets go down"
g = json.load(open(sys.argv[2]))["generator"]
f = fin[0]
for k_json, k_res in (("packets", "sent_packets"), ("bytes", "sent_bytes"), ("tx_full_retries", "tx_full_retries"),
                      ("tx_full_dropped", "tx_full_dropped"), ("late_bursts", "late_bursts"), ("elapsed_s", "elapsed_s"),
                      ("achieved_pps", "achieved_pps")):
    assert f[k_json] == g[k_res], f"final {k_json} {f[k_json]} != results {g[k_res]}"
assert f["packets"] == 24000 and f["status"] == "complete", f
assert g["count"] == 24000 and g["target_packets"] == 24000
PY
$CHECK "$(only_dir "$WORK/json/res/two_machine")" --status complete --sent 24000 --flows 3 --no-receiver ||
  fail "json: results check"
grep -q ' INFO ' "$WORK/json/stderr" || fail "--stats-json alone should keep the log on stderr"

# 2. --quiet: stdout is the results path only; no live or info lines.
gen quiet --config "$WORK/fast.yaml" --rate 10000 --count 6000 --quiet
qdir=$(only_dir "$WORK/quiet/res/two_machine")
[[ "$(cat "$WORK/quiet/stdout")" == "$qdir" ]] || fail "--quiet stdout: $(cat "$WORK/quiet/stdout")"
# (warnings and errors may remain, e.g. a taken HTTP port; nothing else)
grep -Eq ' (INFO|DEBUG) ' "$WORK/quiet/stderr" && { cat "$WORK/quiet/stderr" >&2; fail "--quiet printed info lines"; }
grep -q 't=.*sent' "$qdir/dpdk-gen.log" && fail "--quiet: live lines in the log"
$CHECK "$qdir" --status complete --sent 6000 --no-receiver || fail "quiet: results check"

# 2b. --summary-json (with --quiet): stdout is one JSON object, the run's
# headline figures exactly as results.json has them, and the results path.
gen summary --config "$WORK/fast.yaml" --rate 10000 --count 5000 --flows 2 --quiet --summary-json
sdir=$(only_dir "$WORK/summary/res/two_machine")
$PY - "$WORK/summary/stdout" "$sdir" <<'PY' || fail "--summary-json"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, f"stdout: {lines}"
s = json.loads(lines[0])
assert s["results_dir"] == sys.argv[2], s["results_dir"]
r = json.load(open(sys.argv[2] + "/results.json"))
for k in ("sent_packets", "received_packets", "lost_packets", "loss_pct", "target_pps", "achieved_pps",
          "mbps_l1", "mbps_l2"):
    assert s[k] == r["summary"].get(k), f"{k}: summary {s[k]} != results.json {r['summary'].get(k)}"
for k in ("elapsed_s", "tx_full_retries", "tx_full_dropped", "late_bursts"):
    assert s[k] == r["generator"][k], f"{k}: summary {s[k]} != results.json {r['generator'][k]}"
assert (s["name"], s["id"], s["status"]) == (r["test"]["name"], r["test"]["id"], r["test"]["status"]), s
assert s["sent_packets"] == 5000 and s["incomplete"] is False and s["coordinated"] is False, s
assert s["pacing"]["p50_ns"] == r["generator"]["pacing"]["p50_ns"], s["pacing"]
PY

# 3. Not a terminal: one log line per interval, no carriage returns.
gen lines --config "$WORK/fast.yaml" --rate 10000 --count 8000
n=$(grep -c ' INFO t=.* sent ' "$WORK/lines/stderr" || true)
(( n >= 2 )) || { cat "$WORK/lines/stderr" >&2; fail "expected live lines on stderr, got $n"; }
grep -q $'\r' "$WORK/lines/stderr" "$WORK/lines/stdout" && fail "carriage return without a terminal"
[[ ! -s "$WORK/lines/stdout" ]] || fail "live lines on stdout without a terminal"

# 4. --count at rate max (no pacing) and cutting a pattern schedule.
gen max --rate max --count 100003 --flows 7 --size 60
$CHECK "$(only_dir "$WORK/max/res/two_machine")" --status complete --sent 100003 --flows 7 --no-receiver || fail "max --count"

cat >"$WORK/patterns.yaml" <<'YAML'
test_config: {duration: 2}
traffic_config:
  flows: 5
  packet_size: 60
  patterns:
    - {name: up, type: ramp, from: 1000, to: 30000, over: 0.4}
    - {type: burst, burst_rate: 50000, burst_duration: 0.05, inter_burst_gap: 0.1, duration: 0.6}
    - {type: poisson, rate: 20000, duration: 0.5}
    - {type: constant, rate: 4000}
YAML
gen patterns --config "$WORK/patterns.yaml"
pdir=$(only_dir "$WORK/patterns/res/two_machine")
# ramp 0.4 * 15500 = 6200; burst 4 cycles x 2500 = 10000; poisson 10000; constant 0.5 s x 4000 = 2000
$CHECK "$pdir" --status complete --sent 28200 --flows 5 --no-receiver || fail "patterns: results check"
$PY - "$pdir/results.json" <<'PY' || fail "patterns: schedule report"
import json, sys
d = json.load(open(sys.argv[1]))
s = d["generator"]["schedule"]
assert [g["packets"] for g in s["segments"]] == [6200, 10000, 10000, 2000], s
assert s["total_packets"] == 28200 and d["generator"]["target_packets"] == 28200
seed = s["segments"][2]["seed"]
assert isinstance(seed, int) and d["config"]["traffic_config"]["patterns"][2]["seed"] == seed, "seed not recorded"
flows = sorted(f["packets"] for f in d["generator"]["flows"])
assert flows == [5640] * 5, flows   # round robin over the whole schedule
PY
gen patterns_count --config "$WORK/patterns.yaml" --count 7000
$CHECK "$(only_dir "$WORK/patterns_count/res/two_machine")" --status complete --sent 7000 --no-receiver ||
  fail "patterns --count"

echo "live_output_and_count: ok"
