#!/usr/bin/python3
"""Checks one dpdk-gen results directory: files present, results.json valid
against schema/results.schema.json, and the assertions given as options.
Exit 0 when all hold; otherwise prints each failure and exits 1."""
import argparse
import json
import os
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

with open(os.path.join(args.dir, "results.csv")) as f:
    rows = f.read().splitlines()
check(rows[0].startswith("test_name,test_id,flow_id"), "results.csv header")
check(len(rows) == len(doc["flows"]) + 2, f"results.csv has {len(rows)} lines for {len(doc['flows'])} flows")
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
