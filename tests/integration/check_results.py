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

with open(os.path.join(args.dir, "results.json")) as f:
    doc = json.load(f)
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

for msg in failures:
    print("check_results:", msg, file=sys.stderr)
sys.exit(1 if failures else 0)
