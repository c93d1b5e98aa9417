#!/usr/bin/env python3
"""A stand-in for dpdk-gen's trial mode, for tools/rfc2544.sh and tools/sweep.sh
tests without a testbed.  Follows the contract of --trials / --search,
--summary-json and --stats-json: writes DIR/summary.json (from the 512 B
fixture, re-sized) under $FAKE_GEN_RESULTS, prints a progress line per trial
(JSON with --stats-json), and last the JSON line naming summary_dir.

Appends its argv (one JSON array a line) to $FAKE_GEN_LOG.
$FAKE_GEN_EXIT: exit with it (2: refuses its input at once, nothing written).
$FAKE_GEN_NO_SUMMARY=1: no summary line at the end.
"""
import copy
import json
import os
import re
import sys
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "summary_512.json"


def opt(args, name, default=None):
    return args[args.index(name) + 1] if name in args else default


def load_pps(text):
    m = re.fullmatch(r"([0-9.]+)(pps|kpps|Mpps)", text)
    if not m:
        return 1e6
    return float(m.group(1)) * {"pps": 1, "kpps": 1e3, "Mpps": 1e6}[m.group(2)]


def main(argv):
    with open(os.environ["FAKE_GEN_LOG"], "a") as f:
        f.write(json.dumps(argv) + "\n")
    code = int(os.environ.get("FAKE_GEN_EXIT", "0"))
    if code == 2:
        print("dpdk-gen: bad input", file=sys.stderr)
        return 2
    args = argv[argv.index("--") + 1:]
    size = int(opt(args, "--size")) + 4
    doc = json.loads(FIXTURE.read_text())
    doc["frame"] = {"on_wire_bytes": size, "packet_size": size - 4}
    doc["flows"] = int(opt(args, "--flows", "64"))
    line = 1e10 / ((size + 20) * 8)
    if "--trials" in args:
        doc["kind"], doc["search"] = "sweep", None
        proto = doc["trials"][1]
        doc["trials"] = []
        for i, load in enumerate(opt(args, "--trials").split(","), start=1):
            t = copy.deepcopy(proto)
            pps = load_pps(load)
            t.update(index=i, purpose="sweep", load_pps=pps, load_pct_of_line=100 * pps / line,
                     loss_ratio=0.0 if pps < 1.5e6 else 0.01, dir=f"trials/{i:03d}_sweep")
            doc["trials"].append(t)
    out = Path(os.environ["FAKE_GEN_RESULTS"]) / f"summary_{size}_{doc['flows']}_{len(open(os.environ['FAKE_GEN_LOG']).readlines())}"
    out.mkdir(parents=True)
    for t in doc["trials"]:
        if "--stats-json" in args:
            print(json.dumps({"type": "trial", "index": t["index"], "purpose": t["purpose"],
                              "load_pps": t["load_pps"], "loss_ratio": t["loss_ratio"],
                              "verdict": "pass", "eta_s": 1.0}))
        else:
            print(f"trial {t['index']} {t['purpose']} {t['load_pps']:.0f} pps loss {t['loss_ratio']}")
    (out / "summary.json").write_text(json.dumps(doc, indent=1))
    if os.environ.get("FAKE_GEN_NO_SUMMARY") != "1":
        print(json.dumps({"status": "complete" if code == 0 else "incomplete", "summary_dir": str(out)}))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
