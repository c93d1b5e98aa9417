#!/usr/bin/python3
"""Checks one xdp-recv results directory (DIR/receiver/test_...): files
present, results.json valid against schema/results.schema.json, and the
assertions given as options.  Exit 0 when all hold; otherwise prints each
failure and exits 1.

The receiver's results.json is {schema_version, test, config, receiver}:
its schema is built from the merged one's parts (one definition), with the
test block's generator-only keys (duration_s, preset) optional.

  --status complete|incomplete   test.status
  --test-packets N               receiver.test_packets == N (e.g. the number sent)
  --flows N                      N flow rows, flow ids 0..N-1, their packets
                                 adding up to test_packets
  --lossless                     every flow: lost, late, duplicates, reordered 0
  --same-as GENDIR               the generator's merged results of the same test:
                                 same test id and name, and its receiver block
                                 is this file's receiver block, field for field
                                 (integers, strings, structure exactly; doubles
                                 within 2 ULP: the generator reads the control
                                 message with Boost.JSON 1.81's parser, whose
                                 doubles may be 1 ULP off the text, e.g.
                                 0.9900990099009901 -> 0.99009900990099)
"""
import argparse
import copy
import json
import math
import os
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "..", "..", "schema", "results.schema.json")

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("dir")
ap.add_argument("--status", choices=["complete", "incomplete"])
ap.add_argument("--test-packets", type=int)
ap.add_argument("--flows", type=int)
ap.add_argument("--lossless", action="store_true")
ap.add_argument("--same-as", metavar="GENDIR")
args = ap.parse_args()

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


for name in ["results.json", "xdp-recv.log", "raw_data/rx_samples.csv"]:
    check(os.path.isfile(os.path.join(args.dir, name)), f"missing {name}")
if not os.path.isfile(os.path.join(args.dir, "results.json")):
    for msg in failures:
        print("check_receiver:", msg, file=sys.stderr)
    sys.exit(1)

with open(os.path.join(args.dir, "results.json")) as f:
    doc = json.load(f)
with open(SCHEMA) as f:
    merged = json.load(f)
props = merged["properties"]
test_schema = copy.deepcopy(props["test"])
test_schema["required"] = [k for k in test_schema["required"] if k not in ("duration_s", "preset")]
# The receiver block itself may be null in the merged file, never here.
receiver_schema = next(s for s in props["receiver"]["oneOf"] if s.get("type") == "object")
schema = {
    "$schema": merged["$schema"],
    "type": "object",
    "required": ["schema_version", "test", "config", "receiver"],
    "additionalProperties": False,
    "properties": {
        "schema_version": props["schema_version"],
        "test": test_schema,
        "config": props["config"],
        "receiver": receiver_schema,
    },
    "$defs": merged["$defs"],
}
try:
    jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
except jsonschema.ValidationError as e:
    failures.append(f"schema: {e.message} at {list(e.absolute_path)}")

t = doc.get("test", {})
rx = doc.get("receiver") or {}
flows = rx.get("flows", [])
if args.status:
    check(t.get("status") == args.status,
          f"status {t.get('status')} ({t.get('status_reason')!r}), expected {args.status}")
    if args.status == "complete":
        check(t.get("status_reason") == "", f"complete with a reason: {t.get('status_reason')!r}")
if args.test_packets is not None:
    check(rx.get("test_packets") == args.test_packets,
          f"test_packets {rx.get('test_packets')}, expected {args.test_packets}")
if args.flows is not None:
    ids = sorted(f["flow_id"] for f in flows)
    check(ids == list(range(args.flows)), f"flow ids {ids}, expected 0..{args.flows - 1}")
    check(sum(f["packets"] for f in flows) == rx.get("test_packets"),
          f"flow packets add up to {sum(f['packets'] for f in flows)}, test_packets {rx.get('test_packets')}")
if args.lossless:
    for f in flows:
        bad = {k: f[k] for k in ("lost", "late", "duplicates", "reordered") if f.get(k)}
        check(not bad, f"flow {f['flow_id']}: {bad}")


def differences(a, b, path="receiver"):
    """Where b differs from a: types, keys, lengths, values (doubles to 2 ULP)."""
    if isinstance(a, float) and isinstance(b, float):
        if a != b and abs(a - b) > 2 * math.ulp(max(abs(a), abs(b))):
            yield f"{path}: {a!r} != {b!r}"
        return
    if type(a) is not type(b):
        yield f"{path}: {a!r} != {b!r}"
    elif isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                yield f"{path}.{k}: only in {'the generator' if k in b else 'the receiver'}'s"
            else:
                yield from differences(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        if len(a) != len(b):
            yield f"{path}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            yield from differences(x, y, f"{path}[{i}]")
    elif a != b:
        yield f"{path}: {a!r} != {b!r}"


if args.same_as:
    with open(os.path.join(args.same_as, "results.json")) as f:
        gen = json.load(f)
    check(gen["test"]["id"] == t.get("id"), f"test id {t.get('id')}, the generator's {gen['test']['id']}")
    check(gen["test"]["name"] == t.get("name"), f"test name {t.get('name')!r}, the generator's {gen['test']['name']!r}")
    for d in list(differences(doc.get("receiver"), gen["receiver"]))[:10]:
        failures.append(f"the generator's receiver block differs from the receiver's own: {d}")

for msg in failures:
    print("check_receiver:", msg, file=sys.stderr)
sys.exit(1 if failures else 0)
