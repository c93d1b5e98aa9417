#!/usr/bin/env python3
"""Baseline vs XDP: one table from two dpdk-gen --trials runs at the same loads.

Usage: tools/compare_modes.py --out DIR --loads LIST XDP_RUN BASELINE_RUN

XDP_RUN and BASELINE_RUN are dpdk-gen trial-session directories (the
summary_dir of its --summary-json line): summary.json
(schema/summary.schema.json) and trials/NNN_sweep/results.json.  The two
runs must have the same loads, in the order of LIST (the --trials text,
used as the loads' names).  tools/compare-modes.sh runs both and calls this.

Writes into DIR:
  compare.json  per load, for each mode: receive CPU ns per packet and its
                bound (results.json receiver.system.receive_cpu_ns_per_packet
                and _bound), loss ratio, one-way latency p50/p99/max (the
                summary's trial row); the ratios baseline/xdp (the CPU ratio
                with the range its bounds allow); per mode, the highest load
                with zero loss
  compare.md    the same as tables

Every trial's receiver report must name the mode its run asked for
(receiver.mode): a receiver that counted in the other mode is bad input.

Exit status: 0 written, every trial complete; 1 written, but a trial is
incomplete or missing; 2 bad input (one line naming the file), nothing
written.  Needs python3-jsonschema (tools/deps.sh), as tools/plot/plot.py.
"""
import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "plot"))
from plot import BadInput, load_summary, one_line, validator  # noqa: E402  (tools/plot/plot.py)

MODES = ("xdp", "baseline")
SCHEMA_ID = "ebpf-test/compare-modes/1"
CPU_NOTE = ("receive CPU: softirq of all CPUs + xdp-recv, from /proc/stat (tick-sampled); "
            "± its bound, (3 × CPUs + 2) ticks over the trial's packets")
RATIO_NOTE = ("ratio = baseline / xdp; the CPU ratio's range is what the two bounds allow: "
              "(b − Δb) / (x + Δx) .. (b + Δb) / (x − Δx)")
ZERO_LOSS_NOTE = ("highest load with zero loss: the highest load whose trial completed with "
                  "nothing lost, and where the generator sent what it meant to (not generator-limited)")


def load_json(path):
    try:
        return json.loads(Path(path).read_text())
    except OSError as e:
        raise BadInput(f"{path}: cannot read: {e.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BadInput(f"{path}: not JSON: {one_line(e)}") from None


def field(doc, dotted):
    for k in dotted.split("."):
        if not isinstance(doc, dict):
            return None
        doc = doc.get(k)
    return doc


def quotient(b, x):
    """b / x; None when either is unknown or x is 0."""
    if b is None or x is None or x == 0:
        return None
    return b / x


def ratio_range(b, db, x, dx):
    """The range of b / x that b ± db and x ± dx allow; the high end None
    when x − dx reaches 0 (unbounded)."""
    if None in (b, db, x, dx) or x + dx <= 0:
        return None
    lo = max(b - db, 0.0) / (x + dx)
    hi = (b + db) / (x - dx) if x - dx > 0 else None
    return [lo, hi]


# ---------------------------------------------------------------- input
def mode_rows(run, mode, check):
    """The run's sweep trials, each with its figures, in order."""
    run = Path(run)
    summary = load_summary(run / "summary.json", check)
    rows = []
    for t in summary["trials"]:
        if t["purpose"] != "sweep":
            continue
        path = run / t["dir"] / "results.json"
        if summary["status"] == "incomplete" and not path.exists():
            # The trial that ended the session (a refused configure, say):
            # it and any later load are missing, not bad input.
            break
        res = load_json(path)
        got = field(res, "receiver.mode")
        if got != mode:
            raise BadInput(f"{path}: receiver.mode {got}, expected {mode}")
        system = field(res, "receiver.system") or {}
        rows.append({
            "load_pps": t["load_pps"],
            "status": t["status"],
            "generator_limited": t["generator_limited"],
            "sent": t["sent"],
            "received": t["received"],
            "duration_s": t["duration_s"],
            "loss_ratio": t["loss_ratio"],
            "latency_ns": t["latency_ns"],
            "receive_cpu_ns_per_packet": system.get("receive_cpu_ns_per_packet"),
            "receive_cpu_ns_per_packet_bound": system.get("receive_cpu_ns_per_packet_bound"),
            "receiver_mode": got,
            "results": str(path),
        })
    # The summary's receiver_mode comes from a trial's report: only then known.
    if rows and summary["receiver_mode"] != mode:
        raise BadInput(f"{run / 'summary.json'}: receiver_mode {summary['receiver_mode']}, expected {mode}")
    return summary, rows


def zero_loss_high(rows, names):
    """(name, pps) of the highest zero-loss load, or (None, None)."""
    best = None
    for name, r in zip(names, rows):
        if r and r["status"] == "complete" and not r["generator_limited"] and r["loss_ratio"] == 0:
            if best is None or r["load_pps"] > best[1]:
                best = (name, r["load_pps"])
    return best or (None, None)


def latency(r, p):
    return None if r is None or r["latency_ns"] is None else r["latency_ns"][p]


def get(r, key):
    """A trial's figure; None for a missing trial."""
    return None if r is None else r[key]


def compare(names, by_mode, summaries, runs):
    rows = []
    for i, name in enumerate(names):
        x, b = (by_mode[m][i] if i < len(by_mode[m]) else None for m in MODES)
        if x and b and x["load_pps"] != b["load_pps"]:
            raise BadInput(f"{runs['baseline']}: trial {i + 1} at {b['load_pps']} pps, "
                           f"the xdp run's at {x['load_pps']} pps (not the same loads)")
        cpu = "receive_cpu_ns_per_packet"
        ratios = {
            cpu: quotient(get(b, cpu), get(x, cpu)),
            cpu + "_range": ratio_range(get(b, cpu), get(b, cpu + "_bound"), get(x, cpu), get(x, cpu + "_bound")),
            "loss_ratio": quotient(get(b, "loss_ratio"), get(x, "loss_ratio")),
        }
        for p in ("p50", "p99", "max"):
            ratios[f"latency_{p}_ns"] = quotient(latency(b, p), latency(x, p))
        load_pps = (x or b or {}).get("load_pps")
        rows.append({"load": name, "load_pps": load_pps, "xdp": x, "baseline": b, "baseline_over_xdp": ratios})
    modes = {}
    for m in MODES:
        zname, zpps = zero_loss_high(by_mode[m], names)
        modes[m] = {"run": str(runs[m]), "status": summaries[m]["status"],
                    "status_reason": summaries[m]["status_reason"], "trials": len(by_mode[m]),
                    "highest_zero_loss_load": zname, "highest_zero_loss_load_pps": zpps}
    s = summaries["xdp"]
    return {
        "schema": SCHEMA_ID,
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "loads": names,
        "frame": s["frame"],
        "flows": s["flows"],
        "machine": s["machine"],
        "modes": modes,
        "rows": rows,
        "notes": [CPU_NOTE, RATIO_NOTE, ZERO_LOSS_NOTE],
    }


# ---------------------------------------------------------------- output
def num(v, spec=".0f"):
    return "–" if v is None else format(v, spec)


def cpu_cell(r):
    if r is None or r["receive_cpu_ns_per_packet"] is None:
        return "–"
    v, bound = r["receive_cpu_ns_per_packet"], r["receive_cpu_ns_per_packet_bound"]
    return f"{v:.0f} ± {bound:.0f}" if bound is not None else f"{v:.0f}"


def ratio_cell(q, rng=None):
    """The ratio, and the range its bounds allow (shown also without a
    ratio: an xdp figure of 0 ± Δx still bounds it from below)."""
    text = "–" if q is None else f"{q:.2f}"
    if rng:
        hi = "∞" if rng[1] is None else f"{rng[1]:.2f}"
        text += f" ({rng[0]:.2f} .. {hi})"
    return text


def trial_flags(t):
    """What a reader must know about a trial before its figures."""
    if t is None:
        return " (no trial)"
    return (" (generator-limited)" if t["generator_limited"] else "") + \
        ("" if t["status"] == "complete" else f" ({t['status']})")


def us(v):
    return "–" if v is None else f"{v / 1000:.1f}"


def markdown(doc):
    f = doc["frame"]
    lines = [
        "# Baseline vs XDP",
        "",
        f"{f['on_wire_bytes']} B frames on the wire ({f['packet_size']} B without FCS), "
        f"{doc['flows']} flows; {doc['machine']['hostname']}, Linux {doc['machine']['kernel']}, "
        f"{doc['machine']['cpus']} CPUs; {doc['created_at']}.",
        "",
        "| mode | run | trials | highest load with zero loss |",
        "|---|---|---|---|",
    ]
    for m in MODES:
        d = doc["modes"][m]
        status = d["status"] + (f" ({d['status_reason']})" if d["status_reason"] else "")
        high = "none" if d["highest_zero_loss_load"] is None else \
            f"{d['highest_zero_loss_load']} ({d['highest_zero_loss_load_pps']:.0f} pps)"
        lines.append(f"| {m} | {status} | {d['trials']} | {high} |")
    lines += ["", "| load | figure | xdp | baseline | baseline / xdp |", "|---|---|---|---|---|"]
    for r in doc["rows"]:
        x, b, q = r["xdp"], r["baseline"], r["baseline_over_xdp"]
        load = f"{r['load']}" + ("" if r["load_pps"] is None else f" ({r['load_pps']:.0f} pps)")
        lines.append(f"| {load} | receive CPU ns/packet | {cpu_cell(x)}{trial_flags(x)} | "
                     f"{cpu_cell(b)}{trial_flags(b)} | "
                     f"{ratio_cell(q['receive_cpu_ns_per_packet'], q['receive_cpu_ns_per_packet_range'])} |")
        lines.append(f"| | loss ratio | {num(get(x, 'loss_ratio'), '.3g')} | {num(get(b, 'loss_ratio'), '.3g')} | "
                     f"{ratio_cell(q['loss_ratio'])} |")
        for p in ("p50", "p99", "max"):
            lines.append(f"| | latency {p} µs | {us(latency(x, p))} | {us(latency(b, p))} | "
                         f"{ratio_cell(q[f'latency_{p}_ns'])} |")
    lines += [""] + [f"- {n}" for n in doc["notes"]] + [
        "- a ratio is – where a figure is missing or the xdp figure is 0 (a loss ratio of 0, or a CPU "
        "figure under one tick)",
        "- plots: plots/report.md (cpu_vs_load: receive CPU per packet against load, per mode)", ""]
    return "\n".join(lines)


def write_atomic(path, text):
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def main():
    ap = argparse.ArgumentParser(description="Baseline vs XDP from two dpdk-gen --trials runs")
    ap.add_argument("--out", required=True, help="directory for compare.md and compare.json")
    ap.add_argument("--loads", required=True, help="the --trials list both runs were given")
    ap.add_argument("xdp_run", help="the --receiver-mode xdp run's directory")
    ap.add_argument("baseline_run", help="the --receiver-mode baseline run's directory")
    a = ap.parse_args()
    names = a.loads.split(",")
    runs = {"xdp": Path(a.xdp_run), "baseline": Path(a.baseline_run)}
    try:
        check = validator()
        summaries, by_mode = {}, {}
        for m in MODES:
            summaries[m], by_mode[m] = mode_rows(runs[m], m, check)
            if len(by_mode[m]) > len(names):
                raise BadInput(f"{runs[m] / 'summary.json'}: {len(by_mode[m])} sweep trials for "
                               f"{len(names)} loads ({a.loads})")
        doc = compare(names, by_mode, summaries, runs)
    except BadInput as e:
        print(f"compare_modes.py: {e}", file=sys.stderr)
        return 2
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "compare.json", json.dumps(doc, indent=2) + "\n")
    write_atomic(out / "compare.md", markdown(doc))
    print(f"compare_modes.py: {out / 'compare.md'}")
    complete = all(r[m] is not None and r[m]["status"] == "complete" for r in doc["rows"] for m in MODES)
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
