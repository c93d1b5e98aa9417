#!/usr/bin/env python3
"""Plots and a report from dpdk-gen's summary.json files (schema/summary.schema.json).

Usage: tools/plot/plot.py --out DIR SUMMARY.json [SUMMARY.json ...]

Each summary is one sweep or search at one frame size.  Writes into DIR:
  throughput_vs_frame_size.{svg,png}  NDR/PDR (every goal) vs frame size, kind search
  loss_vs_load.{svg,png}              loss ratio vs offered load, all trials but warmup
  latency_vs_load.{svg,png}           p50/p99/max of the "latency" trials
  cpu_vs_load.{svg,png}               receive CPU ns per packet vs load
  report.md                           the plots and a table per frame size
  gnuplot/                            the data files and scripts behind the plots
A plot without data is skipped and report.md says why.

Frame sizes are on-wire, including the 4-byte FCS (packet_size = size - 4).
The line rate is link_bps / ((size + 20) * 8): preamble (7 B), SFD (1 B) and
the inter-frame gap (12 B) add 20 B per frame on the wire.

Exit status: 0 done, 1 gnuplot failed, 2 bad input (one line naming the file).
Needs python3-jsonschema and gnuplot (tools/deps.sh installs both).
"""
import argparse
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schema" / "summary.schema.json"
L1_EXTRA_BYTES = 20  # preamble 7 + SFD 1 + inter-frame gap 12
FCS_NOTE = "frame sizes are on-wire, including the 4-byte FCS; packet_size = size − 4"
LINE_NOTE = ("line rate = link speed / ((size + 20 B) × 8): preamble, SFD and "
             "inter-frame gap add 20 B per frame on the wire")
GENLIMIT_NOTE = "generator limit: the generator, not the device, was the limit"
SIZE_PX = (1000, 650)


class BadInput(Exception):
    """One line for the user: FILE: what is wrong."""


def line_rate_pps(frame_bytes, link_mbps):
    """Frames per second a link of link_mbps carries at this on-wire frame size."""
    return link_mbps * 1e6 / ((frame_bytes + L1_EXTRA_BYTES) * 8)


# ---------------------------------------------------------------- input
def validator():
    schema = json.loads(SCHEMA.read_text())
    return jsonschema.Draft202012Validator(schema)


def one_line(text):
    return " ".join(str(text).split())


def load_summary(path, check):
    """The summary at path, validated against the schema and the rules it can't say."""
    try:
        doc = json.loads(Path(path).read_text())
    except OSError as e:
        raise BadInput(f"{path}: cannot read: {e.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise BadInput(f"{path}: not JSON: {one_line(e)}") from None
    err = jsonschema.exceptions.best_match(check.iter_errors(doc))
    if err is not None:
        where = "/".join(str(p) for p in err.absolute_path) or "top level"
        raise BadInput(f"{path}: {where}: {one_line(err.message)}")
    frame = doc["frame"]
    if frame["packet_size"] != frame["on_wire_bytes"] - 4:
        raise BadInput(f"{path}: frame: packet_size {frame['packet_size']} is not "
                       f"on_wire_bytes {frame['on_wire_bytes']} - 4 (FCS)")
    return doc


# ---------------------------------------------------------------- helpers
def mpps(pps):
    return None if pps is None else pps / 1e6


def fmt(v, spec=".3f"):
    """A number for a data file or a table; missing values are NaN / '–'."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "NaN"
    if isinstance(v, int):
        return str(v)
    return format(v, spec)


def cell(v, spec=".3f"):
    return "–" if v is None else format(v, spec)


def gq(text):
    """A gnuplot single-quoted string (only ' needs escaping, by doubling)."""
    return "'" + str(text).replace("'", "''") + "'"


def size_of(doc):
    return doc["frame"]["on_wire_bytes"]


def labeller(docs):
    """label(doc): "64 B", with flows and receiver mode added when they vary."""
    flows = {d["flows"] for d in docs}
    modes = {d["receiver_mode"] for d in docs}

    def label(doc):
        parts = [f"{size_of(doc)} B"]
        if len(flows) > 1:
            parts.append(f"{doc['flows']} flows")
        if len(modes) > 1:
            parts.append(str(doc["receiver_mode"] or "no receiver"))
        return ", ".join(parts)
    return label


def caption(docs):
    """Machine, port and date(s), one line each kind (several when they differ)."""
    machines = sorted({(d["machine"]["hostname"], d["machine"]["kernel"], d["machine"]["cpu"],
                        d["machine"]["cpus"]) for d in docs})
    ports = sorted({(d["port"]["driver"], d["port"]["link_speed_mbps"] or 0) for d in docs})
    dates = sorted({d["created_at"][:10] for d in docs})
    m = "; ".join(f"{h}, Linux {k}, {c} ({n} CPUs)" for h, k, c, n in machines)
    p = "; ".join(f"{drv} at {spd} Mb/s" if spd else f"{drv} (link speed unknown)"
                  for drv, spd in ports)
    d = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
    return f"machine: {m}   port: {p}   date: {d}"


def goal_value(goal):
    """The throughput a goal reports: the repeats' median, else the conditional
    throughput, else the lower bound (None when the search found none)."""
    if goal["repeats"] is not None:
        return goal["repeats"]["median_pps"]
    if goal["conditional_throughput_pps"] is not None:
        return goal["conditional_throughput_pps"]
    return goal["lower_bound_pps"]


def pct_of_line(pps, doc):
    speed = doc["port"]["link_speed_mbps"]
    if pps is None or not speed:
        return None
    return 100.0 * pps / line_rate_pps(size_of(doc), speed)


def plotted_trials(doc):
    """Every complete trial but the warmups (an incomplete one's figures are partial)."""
    return [t for t in doc["trials"] if t["purpose"] != "warmup" and t["status"] == "complete"]


# ---------------------------------------------------------------- gnuplot
class Plotter:
    """Writes data files and one script per plot into DIR/gnuplot, runs gnuplot."""

    def __init__(self, out, docs):
        self.out = out
        self.dir = out / "gnuplot"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.caption = caption(docs)

    def data(self, name, header, rows):
        path = self.dir / name
        with path.open("w") as f:
            f.write("# " + "\t".join(header) + "\n")
            for r in rows:
                f.write("\t".join(fmt(v, ".10g") for v in r) + "\n")
        return name

    def render(self, name, body, notes=()):
        """name.svg and name.png from the gnuplot commands in body."""
        w, h = SIZE_PX
        labels = [self.caption, *notes]
        lines = [
            "# written by tools/plot/plot.py; run from this directory: gnuplot " + name + ".gp",
            "set encoding utf8",
            "set datafile missing 'NaN'",
            f"set bmargin {4 + 1.3 * len(labels):.0f}",
            "set grid",
            "set key inside right top box opaque",
        ]
        # The caption sits under the x axis label, one line each.
        for i, text in enumerate(labels):
            y = 0.012 + 0.026 * (len(labels) - 1 - i)
            lines.append(f"set label {900 + i} {gq(text)} at screen 0.01, screen {y:.3f} "
                         "left font ',9'")
        script = "\n".join(
            lines
            + [f"set terminal svg size {w},{h} dynamic noenhanced font 'sans,11' background '#ffffff'",
               f"set output {gq('../' + name + '.svg')}", body,
               f"set terminal pngcairo size {w},{h} noenhanced font 'sans,11'",
               f"set output {gq('../' + name + '.png')}", "replot", "unset output", ""])
        (self.dir / (name + ".gp")).write_text(script)
        res = subprocess.run(["gnuplot", name + ".gp"], cwd=self.dir, capture_output=True, text=True)
        if res.returncode != 0:
            sys.stderr.write(res.stderr)
            raise RuntimeError(f"gnuplot failed on {self.dir / (name + '.gp')}")


# ---------------------------------------------------------------- plots
def plot_throughput(pl, docs):
    """NDR/PDR (every goal) in Mpps and % of line vs frame size, with the line rate."""
    searches = sorted((d for d in docs if d["kind"] == "search"), key=size_of)
    names = []
    for d in searches:
        for g in d["search"]["goals"]:
            if g["name"] not in names:
                names.append(g["name"])
    series, limited, bars = [], [], []
    for n, name in enumerate(names):
        rows = []
        for d in searches:
            for g in d["search"]["goals"]:
                v = goal_value(g)
                if g["name"] != name or v is None:
                    continue
                rep = g["repeats"]
                rows.append((size_of(d), mpps(v), pct_of_line(v, d),
                             mpps(rep["min_pps"]) if rep else v / 1e6,
                             mpps(rep["max_pps"]) if rep else v / 1e6))
                if g["generator_limited"]:
                    limited.append((size_of(d), mpps(v)))
                if rep:
                    bars.append(name)
        if rows:
            series.append((n, name, pl.data(f"throughput_{n}.dat",
                                            ["frame_bytes", "mpps", "pct_of_line", "min_mpps", "max_mpps"], rows)))
    if not series:
        return "no search summary with a throughput result"
    sizes = [size_of(d) for d in searches]
    pcts = [p for d in searches for g in d["search"]["goals"]
            if (p := pct_of_line(goal_value(g), d)) is not None]
    speeds = sorted({d["port"]["link_speed_mbps"] for d in searches if d["port"]["link_speed_mbps"]})
    xmax = max(sizes) * 1.08 + 40
    plots = []
    for speed in speeds:
        lo = min([64] + sizes)
        grid = sorted(set(range(lo, int(xmax) + 1, 2)) | set(sizes) | {64})
        f = pl.data(f"line_rate_{speed}mbps.dat", ["frame_bytes", "pps", "mpps"],
                    [(s, line_rate_pps(s, speed), line_rate_pps(s, speed) / 1e6) for s in grid])
        plots.append(f"{gq(f)} using 1:3 with lines dt 2 lw 1.5 lc rgb 'gray40' "
                     f"title {gq(f'line rate, {speed} Mb/s')}")
    for n, name, f in series:
        c = n + 1
        plots.append(f"{gq(f)} using 1:2 with linespoints lw 2 pt 7 lc {c} title {gq(name + ' (Mpps)')}")
        if name in bars:
            plots.append(f"{gq(f)} using 1:2:4:5 with yerrorbars lc {c} pt 0 title {gq(name + ' repeats min–max')}")
        if speeds:
            plots.append(f"{gq(f)} using 1:3 axes x1y2 with linespoints dt 3 pt 6 lc {c} "
                         f"title {gq(name + ' (% of line, right axis)')}")
    if limited:
        f = pl.data("throughput_generator_limited.dat", ["frame_bytes", "mpps"], limited)
        plots.append(f"{gq(f)} using 1:2 with points pt 4 ps 2.5 lw 2 lc rgb 'red' title 'generator limit'")
        # One label per frame size, over its highest limited point.
        top = {}
        for size, v in limited:
            top[size] = max(v, top.get(size, v))
        f = pl.data("throughput_generator_limit_labels.dat", ["frame_bytes", "mpps"], sorted(top.items()))
        plots.append(f"{gq(f)} using 1:2:('generator limit') with labels left offset 1.5,1.2 "
                     "textcolor rgb 'red' notitle")
    body = "\n".join([
        "set title 'Throughput vs frame size'",
        "set xlabel 'frame size on the wire, incl. 4-byte FCS (bytes)'",
        "set ylabel 'throughput (Mpps)'",
        f"set xrange [0:{xmax:.0f}]",
        "set yrange [0:*]",
        "set offsets 0, 0, graph 0.12, 0",  # room above the top point for its label
        # The key where the curves are not: right of the falling line-rate
        # curve, under the rising % of line.
        "set key inside right center",
        *(["set y2label 'throughput (% of line rate)'", "set y2tics", "set ytics nomirror",
           f"set y2range [0:{max([100.0] + pcts) * 1.1:.0f}]"] if speeds else []),
        "plot " + ", \\\n     ".join(plots),
    ])
    notes = [LINE_NOTE, FCS_NOTE] if speeds else ["no line rate: the port's link speed is unknown", FCS_NOTE]
    if limited:
        notes.append(GENLIMIT_NOTE)
    pl.render("throughput_vs_frame_size", body, notes)
    return None


def series_plot(pl, docs, label, name, title, ylabel, rows_of, cols, styles, logy=False):
    """One plot of per-trial figures vs offered load, a series per label(doc)."""
    groups = {}
    for d in sorted(docs, key=lambda d: (size_of(d), d["flows"], str(d["receiver_mode"]))):
        groups.setdefault(label(d), []).extend(rows_of(d))
    groups = {k: sorted(v) for k, v in groups.items() if v}
    if not groups:
        return False
    plots, values = [], []
    for n, (key, rows) in enumerate(groups.items()):
        f = pl.data(f"{name}_{n}.dat", ["load_mpps", *cols], rows)
        values += [v for r in rows for v in r[1:] if v is not None]
        for col, (suffix, style) in enumerate(styles, start=2):
            plots.append(f"{gq(f)} using 1:{col} {style} lc {n + 1} title {gq(key + suffix)}")
    extra = []
    if logy and values and min(values) > 0:
        extra.append("set logscale y")
    else:
        extra.append("set yrange [0:*]")
    body = "\n".join([f"set title {gq(title)}", "set xlabel 'offered load (Mpps)'",
                      f"set ylabel {gq(ylabel)}", "set xrange [0:*]", *extra,
                      "plot " + ", \\\n     ".join(plots)])
    return body


def plot_loss(pl, docs, label):
    limited = []

    def rows(d):
        out = []
        for t in plotted_trials(d):
            out.append((t["load_pps"] / 1e6, t["loss_ratio"]))
            if t["generator_limited"]:
                limited.append((t["load_pps"] / 1e6, t["loss_ratio"]))
        return out
    body = series_plot(pl, docs, label, "loss", "Loss vs offered load",
                       "loss ratio (0 = no loss)", rows, ["loss_ratio"],
                       [("", "with linespoints pt 7 lw 1.5")])
    if not body:
        return "no trial other than warmups"
    notes = [FCS_NOTE]
    if limited:
        f = pl.data("loss_generator_limited.dat", ["load_mpps", "loss_ratio"], sorted(limited))
        body += f", \\\n     {gq(f)} using 1:2 with points pt 4 ps 2.2 lw 2 lc rgb 'red' title 'generator limit'"
        notes.append(GENLIMIT_NOTE + " (trial could not send its load)")
    pl.render("loss_vs_load", body, notes)
    return None


def plot_latency(pl, docs, label):
    def rows(d):
        return [(t["load_pps"] / 1e6, t["latency_ns"]["p50"] / 1e3, t["latency_ns"]["p99"] / 1e3,
                 t["latency_ns"]["max"] / 1e3)
                for t in plotted_trials(d) if t["purpose"] == "latency" and t["latency_ns"]]
    body = series_plot(pl, docs, label, "latency", "One-way latency vs offered load (latency trials)",
                       "one-way latency (µs)", rows, ["p50_us", "p99_us", "max_us"],
                       [(" p50", "with linespoints pt 7 dt 1"), (" p99", "with linespoints pt 5 dt 2"),
                        (" max", "with linespoints pt 9 dt 3")], logy=True)
    if not body:
        return "no latency trial with latency figures"
    pl.render("latency_vs_load", body, [FCS_NOTE])
    return None


def plot_cpu(pl, docs):
    def by_mode(d):
        return f"{d['receiver_mode'] or 'no receiver'}, {size_of(d)} B"

    def rows(d):
        return [(t["load_pps"] / 1e6, t["receive_cpu_ns_per_packet"])
                for t in plotted_trials(d) if t["receive_cpu_ns_per_packet"] is not None]
    body = series_plot(pl, docs, by_mode, "cpu", "Receive CPU per packet vs offered load",
                       "receive CPU per packet (ns)", rows, ["ns_per_packet"],
                       [("", "with linespoints pt 7 lw 1.5")])
    if not body:
        return "receive CPU per packet is null in every trial"
    pl.render("cpu_vs_load", body, [FCS_NOTE + "; receive path: softirq of all CPUs + the receiver"])
    return None


# ---------------------------------------------------------------- report
def flags(doc):
    """The caveats a reader must see next to a summary's numbers."""
    out = []
    s = doc["search"]
    if s:
        for g in s["goals"]:
            if g["generator_limited"]:
                lim = g["generator_limit_pps"]
                out.append(f"{g['name']}: generator limit" + (f" ({lim / 1e6:.3f} Mpps)" if lim else ""))
            if g["max_load_is_lower_bound"]:
                out.append(f"{g['name']}: max load is a lower bound")
            if g["min_load_is_upper_bound"]:
                out.append(f"{g['name']}: min load is an upper bound")
        if s["time_limit_reached"]:
            out.append("time limit reached")
        c = s["confirmation"]
        if c and not c["passed"]:
            out.append("confirmation failed")
    limited = sum(t["generator_limited"] for t in doc["trials"])
    if limited and not (s and any(g["generator_limited"] for g in s["goals"])):
        out.append(f"{limited} generator-limited trials")
    incomplete = sum(t["status"] != "complete" for t in doc["trials"])
    if incomplete:
        out.append(f"{incomplete} incomplete trials")
    return "; ".join(out) or "–"


def overhead(doc):
    o = doc["overhead"]
    return f"{cell(o['per_trial_mean_s'], '.2f')} / {cell(o['per_trial_max_s'], '.2f')}"


def goal_cells(doc, name):
    for g in doc["search"]["goals"]:
        if g["name"] == name:
            v = goal_value(g)
            return [cell(mpps(v)), cell(pct_of_line(v, doc), ".1f")]
    return ["–", "–"]


def report(out, docs, paths, label, skipped):
    searches = sorted([(d, p) for d, p in zip(docs, paths) if d["kind"] == "search"],
                      key=lambda dp: (size_of(dp[0]), dp[0]["flows"]))
    sweeps = sorted([(d, p) for d, p in zip(docs, paths) if d["kind"] == "sweep"],
                    key=lambda dp: (size_of(dp[0]), dp[0]["flows"]))
    md = ["# Throughput report", "",
          f"Made by `tools/plot/plot.py` from {len(docs)} summary file(s).", "",
          caption(docs).replace("   ", "  \n"), "",
          f"Note: {FCS_NOTE}. The {LINE_NOTE}.", "",
          "Flags: *generator limit* means the generator, not the device, was the limit: "
          "the result is a lower bound of what the device can take "
          "(every flag: docs/throughput.md, \"Reading the flags\").", "",
          "## Plots", ""]
    titles = {"throughput_vs_frame_size": "Throughput vs frame size", "loss_vs_load": "Loss vs load",
              "latency_vs_load": "Latency vs load", "cpu_vs_load": "Receive CPU per packet vs load"}
    for name, title in titles.items():
        if name in skipped:
            md += [f"- {title}: not drawn ({skipped[name]}).", ""]
        else:
            md += [f"### {title}", "", f"![{title}]({name}.svg)", "", f"PNG: [{name}.png]({name}.png)", ""]
    if searches:
        names = []
        for d, _ in searches:
            names += [g["name"] for g in d["search"]["goals"] if g["name"] not in names]
        md += ["## Searches", "",
               "Throughput per frame size (Mpps and % of line rate; the repeats' median when "
               "repeated, else the conditional throughput). Overhead: time between trials, "
               "mean / max (s).", "",
               "| frame (B) | packet_size | flows | receiver | "
               + " | ".join(f"{n} (Mpps) | {n} (% of line)" for n in names)
               + " | flags | trials | overhead (s) |",
               "|" + "---|" * (7 + 2 * len(names))]
        for d, _ in searches:
            cells = [c for n in names for c in goal_cells(d, n)]
            md.append(f"| {size_of(d)} | {d['frame']['packet_size']} | {d['flows']} | "
                      f"{d['receiver_mode'] or '–'} | " + " | ".join(cells)
                      + f" | {flags(d)} | {len(d['trials'])} | {overhead(d)} |")
        md.append("")
        for d, p in searches:
            md += search_section(d, p, label)
    if sweeps:
        md += ["## Sweeps", ""]
        for d, p in sweeps:
            md += sweep_section(d, p, label)
    (out / "report.md").write_text("\n".join(md) + "\n")


def search_section(d, path, label):
    s = d["search"]
    md = [f"### {label(d)} (packet_size {d['frame']['packet_size']}): search {s['preset']}", "",
          f"Source: `{path}`. {len(d['trials'])} trials ({s['trials']} search trials, "
          f"{s['traffic_s']:.1f} s of traffic; time limit {s['time_limit_s']:g} s"
          f"{' reached' if s['time_limit_reached'] else ''}); loads "
          f"{s['min_load_pps'] / 1e6:.3f} to {s['max_load_pps'] / 1e6:.3f} Mpps; overhead per trial "
          f"mean / max {overhead(d)} s. Flags: {flags(d)}.", "",
          "| goal | loss ratio | throughput (Mpps) | % of line | lower bound (Mpps) | upper bound (Mpps) | repeats |",
          "|---|---|---|---|---|---|---|"]
    for g in s["goals"]:
        v = goal_value(g)
        rep = g["repeats"]
        reps = (f"{rep['count']}: {rep['min_pps'] / 1e6:.3f}–{rep['max_pps'] / 1e6:.3f}" if rep else "–")
        name = g["name"] + (" (generator limit)" if g["generator_limited"] else "")
        md.append(f"| {name} | {g['loss_ratio']:g} | {cell(mpps(v))} | {cell(pct_of_line(v, d), '.1f')} | "
                  f"{cell(mpps(g['lower_bound_pps']))} | {cell(mpps(g['upper_bound_pps']))} | {reps} |")
    c = s["confirmation"]
    if c:
        md += ["", f"Confirmation: {c['duration_s']:g} s at {c['load_pps'] / 1e6:.3f} Mpps "
                   f"{'passed' if c['passed'] else 'FAILED'}."]
    return md + [""]


def sweep_section(d, path, label):
    md = [f"### {label(d)} (packet_size {d['frame']['packet_size']}), {d['flows']} flows", "",
          f"Source: `{path}`. Overhead per trial mean / max {overhead(d)} s. Flags: {flags(d)}.", "",
          "| trial | load (Mpps) | % of line | achieved (Mpps) | loss ratio | status | flags |",
          "|---|---|---|---|---|---|---|"]
    for t in d["trials"]:
        fl = "generator limit: " + (t["generator_limit_reason"] or "yes") if t["generator_limited"] else "–"
        md.append(f"| {t['index']} {t['purpose']} | {t['load_pps'] / 1e6:.3f} | "
                  f"{cell(t['load_pct_of_line'], '.1f')} | {t['achieved_pps'] / 1e6:.3f} | "
                  f"{t['loss_ratio']:.6g} | {t['status']} | {fl} |")
    return md + [""]


# ---------------------------------------------------------------- main
class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2 (argparse's own prints the usage too)
        sys.stderr.write(f"plot.py: {message} (see --help)\n")
        sys.exit(2)


def main(argv):
    ap = Parser(description=__doc__.split("\n")[0], usage="%(prog)s --out DIR SUMMARY.json [...]")
    ap.add_argument("--out", required=True, type=Path, help="output directory (made if missing)")
    ap.add_argument("summaries", nargs="+", help="summary.json files of dpdk-gen")
    args = ap.parse_args(argv)
    check = validator()
    try:
        docs = [load_summary(p, check) for p in args.summaries]
    except BadInput as e:
        print(f"plot.py: {e}", file=sys.stderr)
        return 2
    if shutil.which("gnuplot") is None:
        print("plot.py: gnuplot not found (tools/deps.sh installs gnuplot-nox)", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    pl = Plotter(args.out, docs)
    label = labeller(docs)
    skipped = {}
    try:
        for name, why in [("throughput_vs_frame_size", plot_throughput(pl, docs)),
                          ("loss_vs_load", plot_loss(pl, docs, label)),
                          ("latency_vs_load", plot_latency(pl, docs, label)),
                          ("cpu_vs_load", plot_cpu(pl, docs))]:
            if why:
                skipped[name] = why
                print(f"plot.py: {name}: skipped: {why}", file=sys.stderr)
    except RuntimeError as e:
        print(f"plot.py: {e}", file=sys.stderr)
        return 1
    report(args.out, docs, args.summaries, label, skipped)
    print(f"plot.py: wrote {args.out}/report.md and {4 - len(skipped)} plots")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
