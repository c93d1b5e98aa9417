#!/usr/bin/python3
"""Checks one dpdk-gen results directory: files present, results.json valid
against schema/results.schema.json, and the assertions given as options.
Exit 0 when all hold; otherwise prints each failure and exits 1."""
import argparse
import csv
import json
import math
import os
import re
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "..", "..", "schema", "results.schema.json")

ap = argparse.ArgumentParser()
ap.add_argument("dir")
ap.add_argument("--status", choices=["complete", "incomplete"])
ap.add_argument("--sent", type=int, help="exact packets sent")
ap.add_argument("--flows", type=int, help="number of flows")
ap.add_argument("--lossless", action="store_true", help="received == sent for every flow")
ap.add_argument("--no-receiver", action="store_true", help="receiver is null (no coordination)")
ap.add_argument("--link-mbps", type=float,
                help="the port's link speed in Mbit/s: with a percentage rate (\"40%%\") the target pps is "
                     "recomputed from it (results.json does not record the speed)")
ap.add_argument("--rate-tolerance", type=float, metavar="PCT",
                help="achieved pps (whole and per TX lcore) within PCT%% of the target; without it only the "
                     "bounds that hold on any machine are checked (see 'Requested rate and duration')")
args = ap.parse_args()

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


for name in ["results.json", "results.csv", "results.md", "raw_data/tx_samples.csv", "dpdk-gen.log"]:
    check(os.path.isfile(os.path.join(args.dir, name)), f"missing {name}")

# Numbers as json_text writes them: integers as integers, plain notation in
# 1e-7 <= |x| < 1e21 (no "1E4" for 10000.0, no "1.5E-1" for 0.15).
exponent_literals = []


def note_float(text):
    v = float(text)
    if ("e" in text or "E" in text) and 1e-7 <= abs(v) < 1e21:
        exponent_literals.append(text)
    return v


with open(os.path.join(args.dir, "results.json")) as f:
    doc = json.load(f, parse_float=note_float)
check(not exponent_literals, f"results.json has numbers in exponent form: {exponent_literals[:5]}")
with open(SCHEMA) as f:
    schema = json.load(f)
try:
    jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
except jsonschema.ValidationError as e:
    failures.append(f"schema: {e.message} at {list(e.absolute_path)}")

s = doc["summary"]
if args.status:
    check(doc["test"]["status"] == args.status,
          f"status {doc['test']['status']} ({doc['test']['status_reason']}), expected {args.status}")
if args.sent is not None:
    check(s["sent_packets"] == args.sent, f"sent {s['sent_packets']}, expected {args.sent}")
if args.flows is not None:
    check(len(doc["flows"]) == args.flows, f"{len(doc['flows'])} flows, expected {args.flows}")
    check(sum(f["sent"] for f in doc["flows"]) == s["sent_packets"], "per-flow sent does not add up")
if args.lossless:
    check(s["received_packets"] == s["sent_packets"],
          f"received {s['received_packets']} of {s['sent_packets']}")
    check(s["lost_packets"] == 0 and s["loss_pct"] == 0, f"lost {s['lost_packets']}")
    for fl in doc["flows"]:
        check(fl["received"] == fl["sent"] and fl["lost"] == 0,
              f"flow {fl['flow_id']}: sent {fl['sent']} received {fl['received']}")
        check(fl["reordered"] == 0 and fl["duplicates"] == 0,
              f"flow {fl['flow_id']}: reordered {fl['reordered']} duplicates {fl['duplicates']}")
    for rf in doc["receiver"]["flows"]:
        check(rf["lost"] == 0 and rf["late"] == 0, f"receiver flow {rf['flow_id']}: sequence gaps {rf['lost']}")
    check(os.path.isfile(os.path.join(args.dir, "raw_data/rx_samples.csv")), "missing raw_data/rx_samples.csv")
if args.no_receiver:
    check(doc["receiver"] is None and s["received_packets"] is None, "receiver should be null")

# The generator's own accounting adds up (lcores, flows, rates).
g = doc["generator"]
check(sum(t["packets"] for t in g["threads"]) == g["sent_packets"], "generator.threads packets do not add up")
check(sum(t["tx_full_dropped"] for t in g["threads"]) == g["tx_full_dropped"], "threads tx_full_dropped do not add up")
# --pcap: frames sent unstamped belong to no flow.
unstamped = g["pcap"]["unstamped"] if g.get("pcap") else 0
check(sum(f["packets"] for f in g["flows"]) == g["sent_packets"] - unstamped, "generator.flows packets do not add up")
check(sum(f["tx_full_dropped"] for f in g["flows"]) == g["tx_full_dropped"], "flows tx_full_dropped do not add up")
check(g["sent_packets"] == s["sent_packets"], "generator.sent_packets != summary.sent_packets")
# One definition of each rate: the summary carries the generator's figures.
for k in ("achieved_pps", "mbps_l1", "mbps_l2"):
    check(s[k] == g[k], f"summary.{k} {s[k]} != generator.{k} {g[k]}")
check(g["mbps_l1"] >= g["mbps_l2"], "generator: L1 below L2")
if g["elapsed_s"] > 0:
    # L2 = (bytes + 4 per frame) x 8 / s, L1 = (bytes + 24 per frame) x 8 / s.
    for k, extra in (("mbps_l2", 4), ("mbps_l1", 24)):
        want = (g["sent_bytes"] + extra * g["sent_packets"]) * 8 / g["elapsed_s"] / 1e6
        check(abs(g[k] - want) <= 1e-9 * max(1, want), f"generator.{k} {g[k]} != {want}")
tc = g["tsc_clock"]
if tc is not None:
    check(tc["calibrated_hz"] > 0, "tsc_clock.calibrated_hz is 0")
    check((tc["warning"] is not None) == (tc["drift_ppm_max_abs"] > tc["drift_warn_ppm"]),
          f"tsc_clock.warning {tc['warning']!r} vs drift {tc['drift_ppm_max_abs']} ppm (threshold {tc['drift_warn_ppm']})")
if g["target_packets"] is not None and g["tx_full_dropped"] == 0 and doc["test"]["status"] == "complete" and \
        all(t["end"] == "total_reached" for t in g["threads"]):
    check(g["sent_packets"] == g["target_packets"], f"sent {g['sent_packets']} != target_packets {g['target_packets']}")
for t in g["threads"]:
    if t["elapsed_s"] > 0:
        check(abs(t["achieved_pps"] * t["elapsed_s"] - t["packets"]) <= 1e-6 * max(1, t["packets"]),
              f"lcore {t['lcore']}: achieved_pps x elapsed_s != packets")
        check(t["mbps_l1"] >= t["mbps_l2"], f"lcore {t['lcore']}: L1 below L2")
    if t["target_pps"]:
        check(t["efficiency_pct"] is not None and abs(t["efficiency_pct"] - 100 * t["achieved_pps"] / t["target_pps"]) < 1e-6,
              f"lcore {t['lcore']}: efficiency_pct")

# ---- Requested rate and duration ------------------------------------------
# What the configuration asked for against what the run did: exact where the
# code makes it exact, bounded where a machine's load can move it (a TX lcore
# kept off its CPU sends late and catches up; it never sends early).
#  - target: an integer packet_rate is the target pps; a bit rate is
#    round(bps / bits per frame) at traffic_config.rate_layer (l1: frame + 24
#    bytes, l2: frame + 4; a size mix's weighted mean frame), so the bit rate
#    sent is within half a frame's bits of the one asked for; a percentage is
#    that of --link-mbps (checked only when given: results.json does not
#    record the link speed).  Not for --pcap (bits at the file's mean frame)
#    or patterns (the schedule's mean, checked by its own tests).
#  - the TX lcores' shares of the rate and of the packets add up to the whole.
#  - never early (paced, constant rate): an lcore's packet k is due at
#    start + ceil(k x hz / rate), so an lcore that sent n packets ran at least
#    (n - 1) / rate: elapsed_s >= (n - 1) / rate and achieved <= rate x n / (n - 1).
#  - the deadline: a paced run is cut at duration x 1.1 + 0.5 s (the
#    schedule's length with patterns; rate max: at the duration).  An lcore
#    that ended on it ran at least that long; any lcore ended within it plus
#    SLACK_S (its last tx_burst call, or being descheduled just then).
#  - --rate-tolerance PCT: achieved within PCT% of the target, whole and per
#    lcore (callers that control the load ask for it).
SLACK_S = 1.0
tcfg = doc["config"]["traffic_config"]
rate_cfg = tcfg["packet_rate"]
rate_max = rate_cfg == "max"
pats = tcfg.get("patterns") or []
patterned = bool(pats) and not (len(pats) == 1 and pats[0]["type"] == "constant" and
                                "rate" not in pats[0] and "duration" not in pats[0])
replay = g.get("pcap") is not None


def mean_frame(size):
    if isinstance(size, int):
        return size
    mix = [(60, 7), (566, 4), (1514, 1)] if size == "imix" else \
        [tuple(int(x) for x in item.split(":")) for item in size.split(",")]
    return sum(sz * w for sz, w in mix) / sum(w for _, w in mix)


PPS_UNITS = {"": 1, "pps": 1, "kpps": 10**3, "mpps": 10**6, "gpps": 10**9}
BPS_UNITS = {"bps": 1, "kbps": 1e3, "mbps": 1e6, "gbps": 1e9, "tbps": 1e12}
want_pps, want_bps = None, None
if isinstance(rate_cfg, int):
    want_pps = rate_cfg
elif not rate_max:
    m = re.fullmatch(r"([0-9.]+)([A-Za-z%]*)", rate_cfg)
    check(m is not None, f"config packet_rate {rate_cfg!r} is not a rate")
    if m:
        v, unit = float(m.group(1)), m.group(2).lower()
        if unit == "%":
            if args.link_mbps:
                want_bps = v / 100 * args.link_mbps * 1e6
        elif unit in BPS_UNITS:
            want_bps = v * BPS_UNITS[unit]
        elif unit in PPS_UNITS:
            want_pps = int(v * PPS_UNITS[unit])
        else:
            failures.append(f"config packet_rate {rate_cfg!r}: unknown unit")
if rate_max:
    check(s["target_pps"] == 0 and g["target_pps"] is None, f"rate max: target_pps {s['target_pps']} / {g['target_pps']}")
elif not patterned and not replay:
    if want_bps is not None:
        bits = mean_frame(tcfg["packet_size"]) * 8 + (32 if tcfg["rate_layer"] == "l2" else 192)
        want_pps = math.floor(want_bps / bits + 0.5)
        check(abs(s["target_pps"] * bits - want_bps) <= bits / 2,
              f"target {s['target_pps']} pps x {bits} bits is not within half a frame of {want_bps} bit/s")
    if want_pps is not None:
        check(s["target_pps"] == want_pps, f"summary.target_pps {s['target_pps']}, but packet_rate {rate_cfg!r} "
                                           f"({tcfg['rate_layer']}, {tcfg['packet_size']}) is {want_pps} pps")
if not rate_max:
    check(g["target_pps"] == s["target_pps"], f"generator.target_pps {g['target_pps']} != summary {s['target_pps']}")
    check(sum(t["target_pps"] for t in g["threads"]) == g["target_pps"],
          f"lcores' target_pps {[t['target_pps'] for t in g['threads']]} do not add up to {g['target_pps']}")
if g["target_packets"] is not None and all(t["target_packets"] is not None for t in g["threads"]):
    check(sum(t["target_packets"] for t in g["threads"]) == g["target_packets"],
          f"lcores' target_packets {[t['target_packets'] for t in g['threads']]} do not add up to {g['target_packets']}")

run_s = g["schedule"]["duration_s"] if g.get("schedule") else doc["test"]["duration_s"]
limit_s = run_s if rate_max else run_s * 1.1 + 0.5
constant_paced = not rate_max and not patterned and not replay
for t in g["threads"]:
    who = f"lcore {t['lcore']} ({t['end']})"
    check(t["elapsed_s"] <= limit_s + SLACK_S,
          f"{who}: elapsed {t['elapsed_s']} s, past the deadline of {limit_s} s (+{SLACK_S} s)")
    if t["end"] == "deadline":
        check(t["elapsed_s"] >= limit_s - 1e-6, f"{who}: elapsed {t['elapsed_s']} s, before the deadline {limit_s} s")
    if t["end"] == "total_reached" and t["target_packets"] is not None:
        check(t["packets"] == t["target_packets"] and t["tx_full_dropped"] == 0,
              f"{who}: {t['packets']} sent ({t['tx_full_dropped']} dropped) of {t['target_packets']}")
    n, rate = t["packets"], t["target_pps"]
    if constant_paced and rate and n >= 2:
        check(t["elapsed_s"] * rate >= (n - 1) * (1 - 1e-9),
              f"{who}: {n} packets in {t['elapsed_s']} s at {rate} pps: sent ahead of the schedule")
        check(t["achieved_pps"] <= rate * n / (n - 1) * (1 + 1e-9),
              f"{who}: achieved {t['achieved_pps']} pps above {rate} x {n}/{n - 1}")
    if args.rate_tolerance is not None and rate and t["elapsed_s"] > 0:
        check(abs(t["achieved_pps"] - rate) <= rate * args.rate_tolerance / 100,
              f"{who}: achieved {t['achieved_pps']:.3f} pps, not within {args.rate_tolerance}% of {rate}")
if args.rate_tolerance is not None and not rate_max:
    check(abs(g["achieved_pps"] - g["target_pps"]) <= g["target_pps"] * args.rate_tolerance / 100,
          f"achieved {g['achieved_pps']:.3f} pps, not within {args.rate_tolerance}% of {g['target_pps']}")

# ---- The merged flows against the receiver's counts ------------------------
# received = the receiver's packets less duplicates; lost = sent - received.
rx = doc["receiver"]
if rx is not None:
    rxf = {f["flow_id"]: f for f in rx["flows"]}
    zero = {"packets": 0, "reordered": 0, "duplicates": 0}
    for fl, gf in zip(doc["flows"], g["flows"]):
        r = rxf.get(fl["flow_id"], zero)
        check(fl["flow_id"] == gf["flow_id"] and fl["sent"] == gf["packets"],
              f"flows[] row {fl['flow_id']}: sent {fl['sent']} vs generator flow {gf['flow_id']}: {gf['packets']}")
        got = r["packets"] - min(r["packets"], r["duplicates"])
        check((fl["received"], fl["lost"], fl["reordered"], fl["duplicates"]) ==
              (got, fl["sent"] - got, r["reordered"], r["duplicates"]),
              f"flow {fl['flow_id']}: received/lost/reordered/duplicates "
              f"{(fl['received'], fl['lost'], fl['reordered'], fl['duplicates'])}, the receiver's counts give "
              f"{(got, fl['sent'] - got, r['reordered'], r['duplicates'])}")
    dups = sum(f["duplicates"] for f in rx["flows"])
    test_sent = g["pcap"]["stamped"] if replay else g["sent_packets"]
    got = rx["test_packets"] - min(rx["test_packets"], dups)
    check((s["received_packets"], s["lost_packets"], s["duplicates"]) == (got, test_sent - got, dups),
          f"summary received/lost/duplicates {(s['received_packets'], s['lost_packets'], s['duplicates'])}, "
          f"the receiver's counts give {(got, test_sent - got, dups)}")

# ---- results.csv against results.json -------------------------------------
with open(os.path.join(args.dir, "results.csv"), newline="") as f:
    rows = list(csv.reader(f))
CSV_HEADER = ["test_name", "test_id", "flow_id", "sent_packets", "received_packets", "lost_packets", "loss_pct",
              "reordered", "duplicates", "frame_size", "sent_mbps_l1", "sent_mbps_l2_incl_fcs"]
check(rows[0] == CSV_HEADER, f"results.csv header {rows[0]}")
check(len(rows) == len(doc["flows"]) + 2, f"results.csv has {len(rows)} lines for {len(doc['flows'])} flows")


def pct6(lost, sent):
    return "%.6f" % (0.0 if sent == 0 else 100.0 * lost / sent)


want_rows = []
for fl, gf in zip(doc["flows"], g["flows"]):
    rxcols = ["", "", "", "", ""] if rx is None else \
        [str(fl["received"]), str(fl["lost"]), pct6(fl["lost"], fl["sent"]), str(fl["reordered"]), str(fl["duplicates"])]
    want_rows.append([str(fl["flow_id"]), str(fl["sent"])] + rxcols + ["%.6f" % gf["mbps_l1"], "%.6f" % gf["mbps_l2"]])
all_sent = g["pcap"]["stamped"] if replay else s["sent_packets"]
rxcols = ["", "", "", "", ""] if rx is None else \
    [str(s["received_packets"]), str(s["lost_packets"]), pct6(s["lost_packets"], all_sent),
     str(sum(fl["reordered"] for fl in doc["flows"])), str(sum(fl["duplicates"] for fl in doc["flows"]))]
want_rows.append(["all", str(all_sent)] + rxcols + ["%.6f" % g["mbps_l1"], "%.6f" % g["mbps_l2"]])
size_text = f"{tcfg['packet_size']} B" if isinstance(tcfg["packet_size"], int) else None
for row, want in zip(rows[1:], want_rows):
    if len(row) != len(CSV_HEADER):
        failures.append(f"results.csv row {row}: {len(row)} fields")
        continue
    have = [row[2], row[3]] + row[4:9] + row[10:12]
    check(row[0] == doc["test"]["name"] and row[1] == str(doc["test"]["id"]),
          f"results.csv row {row[:3]}: test name/id, expected {doc['test']['name']}/{doc['test']['id']}")
    check(have == want, f"results.csv row {row}: expected flow,sent,received,lost,loss_pct,reordered,duplicates,"
                        f"mbps_l1,mbps_l2 = {want}")
    check(row[9] == size_text if size_text else row[9].startswith(("imix (", "mix (")),
          f"results.csv row {row[:3]}: frame_size {row[9]!r}")
for name in ("results.csv", "raw_data/tx_samples.csv"):
    with open(os.path.join(args.dir, name)) as f:
        header = f.readline().strip().split(",")
    for h in header:
        if "mbps" in h:
            check(h.endswith("_l1") or h.endswith("_l2_incl_fcs"), f"{name}: column {h} does not name its layer")

with open(os.path.join(args.dir, "results.md")) as f:
    md = f.read()
check("throughput (L2" not in md, "results.md has the old L2-without-FCS throughput")
check("| Mbps at L2 (frame + FCS) |" in md, "results.md has no L2 (frame + FCS) Mbps")
if tc is not None:
    check("- Generator clock (TSC against" in md, "results.md has no generator clock line")
    if tc["warning"] is not None:
        check("**WARNING, generator clock:" in md, "results.md does not show the clock warning")

for msg in failures:
    print("check_results:", msg, file=sys.stderr)
sys.exit(1 if failures else 0)
