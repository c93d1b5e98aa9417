#!/usr/bin/python3
"""Reads a results directory (tools/lib/harness.sh's result_* functions).

  result.py json PATH             the results.json in PATH
  result.py get PATH FIELD...     fields by dotted path (summary.sent_packets)
  result.py figures PATH NAME...  the run's summary figures (FIGURES below)
  result.py show PATH             the summary a person reads

PATH is a results.json, a test directory holding one, or any directory with
exactly one results.json below it.  get and figures print their values on
one line, space-separated; null (or a missing field) prints "-".

figures() is the one place the scripts' figures of a run come from: when
dpdk-gen writes its own machine-readable summary (--summary-json), it is
read there instead of derived from results.json, and no script changes.
"""
import json
import pathlib
import sys

FIGURES = {
    "name": "test.name",
    "id": "test.id",
    "status": "test.status",
    "status_reason": "test.status_reason",
    "sent": "summary.sent_packets",
    "received": "summary.received_packets",
    "lost": "summary.lost_packets",
    "loss_pct": "summary.loss_pct",
    "target_pps": "summary.target_pps",
    "achieved_pps": "summary.achieved_pps",
    "mbps_l1": "summary.mbps_l1",
    "mbps_l2": "summary.mbps_l2",
    "elapsed_s": "generator.elapsed_s",
    "tx_full_retries": "generator.tx_full_retries",
    "tx_full_dropped": "generator.tx_full_dropped",
    "pacing_p50_ns": "generator.pacing.p50_ns",
    "pacing_p99_ns": "generator.pacing.p99_ns",
    "pacing_max_ns": "generator.pacing.max_ns",
    "xdp_mode": "receiver.xdp_mode",
    "interface": "receiver.interface",
}
# Figures derived from more than one field:
#   steady_pps   the generator's rate from its 1 s samples, the first second
#                (warm-up) left out; the whole run's achieved_pps when the run
#                has fewer than two periodic samples or they span <= 0.5 s
#   steady_note  which: "t=A..Bs" or "whole-run"
DERIVED = ("steady_pps", "steady_note")


def find(path):
    p = pathlib.Path(path)
    if p.is_file():
        return p
    if (p / "results.json").is_file():
        return p / "results.json"
    found = sorted(p.rglob("results.json"))
    if len(found) != 1:
        sys.exit(f"result.py: expected one results.json below {p}, found {len(found)}")
    return found[0]


def load(path):
    with open(find(path)) as f:
        return json.load(f)


def field(doc, dotted):
    v = doc
    for k in dotted.split("."):
        if isinstance(v, list):
            v = v[int(k)] if -len(v) <= int(k) < len(v) else None
        elif isinstance(v, dict):
            v = v.get(k)
        else:
            return None
    return v


def steady(doc):
    whole = float(doc["summary"]["achieved_pps"])
    # periodic samples are all but the last (the last is the end-of-run total)
    per = (doc["generator"].get("samples") or [])[:-1]
    if len(per) >= 2:
        a, b = per[0], per[-1]
        dt = b["t_s"] - a["t_s"]
        if dt > 0.5:
            return (b["packets"] - a["packets"]) / dt, "t=%.0f..%.0fs" % (a["t_s"], b["t_s"])
    return whole, "whole-run"


def figures(path):
    """The run's summary figures by name (FIGURES, DERIVED)."""
    doc = load(path)
    out = {name: field(doc, dotted) for name, dotted in FIGURES.items()}
    out["steady_pps"], out["steady_note"] = steady(doc)
    return out


def text(v):
    return "-" if v is None else str(v)


def show(path):
    f = figures(path)
    print()
    print(f"  test        {f['name']} (id {f['id']}, {f['status']})")
    print(f"  sent        {f['sent']}")
    print(f"  received    {f['received']}")
    print(f"  lost        {f['lost']} ({f['loss_pct']:.4f} %)")
    print(f"  rate        {f['achieved_pps']:.1f} pps achieved of {f['target_pps']:.0f} target")
    print(f"  throughput  {f['mbps_l2']:.3f} Mbps at L2 (frames + FCS), {f['mbps_l1']:.3f} Mbps at L1")
    print(f"  XDP         {f['xdp_mode']} on {f['interface']}")


def main(argv):
    if len(argv) < 3 or argv[1] not in ("json", "get", "figures", "show"):
        sys.exit(__doc__.strip() + "\nfigures: " + " ".join(list(FIGURES) + list(DERIVED)))
    cmd, path, names = argv[1], argv[2], argv[3:]
    if cmd == "json":
        print(find(path))
    elif cmd == "get":
        doc = load(path)
        print(" ".join(text(field(doc, n)) for n in names))
    elif cmd == "figures":
        f = figures(path)
        unknown = [n for n in names if n not in f]
        if unknown:
            sys.exit(f"result.py: no figure {', '.join(unknown)} (known: {' '.join(f)})")
        print(" ".join(text(f[n]) for n in names))
    else:
        show(path)


if __name__ == "__main__":
    main(sys.argv)
