#!/usr/bin/env python3
"""One test's samples against time: TX and RX rate, loss, receive CPU.

Usage: tools/plot/timeseries.py RESULTS_DIR

RESULTS_DIR is a test directory of dpdk-gen or xdp-recv (its results.json,
schema/results.schema.json), or a directory with exactly one results.json
below it.  Writes timeseries.svg and timeseries.png beside that results.json
(the gnuplot data and script in gnuplot/ there).  Panels, each drawn only
when its samples are there:
  rate   TX pps (generator.samples), RX pps (receiver.samples), per sample window
  loss   1 - RX/TX, cumulative, TX interpolated at each RX sample's time
  CPU    softirq (the receive path) and busy share of all the receiver's CPUs
         (receiver.system.samples, tick-sampled), and the XDP program's ns per
         run (receiver.prog_cost.samples) on the right axis
The two sides' t_s both count from the test's start, so they share the axis.

Exit status: 0 done, 1 gnuplot failed, 2 bad input (one line).
"""
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plot import fmt, gq, one_line  # noqa: E402  (same directory)

SOFTIRQ, IDLE, IOWAIT = 6, 3, 4  # columns of a /proc/stat cpu line (user first)
SIZE_PX = (1000, 900)


class BadInput(Exception):
    pass


def find_results(path):
    p = Path(path)
    if p.is_file() and p.name == "results.json":
        return p
    if not p.is_dir():
        raise BadInput(f"{path}: not a directory")
    if (p / "results.json").is_file():
        return p / "results.json"
    found = sorted(p.rglob("results.json"))
    if len(found) != 1:
        raise BadInput(f"{path}: expected one results.json below it, found {len(found)}")
    return found[0]


def rates(samples):
    """(t, pps) per sample window from cumulative packet counts."""
    out, prev = [], (0.0, 0)
    for s in samples:
        dt = s["t_s"] - prev[0]
        if dt > 0:
            out.append((s["t_s"], (s["packets"] - prev[1]) / dt))
        prev = (s["t_s"], s["packets"])
    return out


def cumulative_at(samples, t):
    """Cumulative packets at time t, linear between samples (0 at t = 0), the last
    count after the last sample (nothing is sent after it)."""
    prev = (0.0, 0)
    for s in samples:
        if t <= s["t_s"]:
            span = s["t_s"] - prev[0]
            frac = (t - prev[0]) / span if span > 0 else 1.0
            return prev[1] + frac * (s["packets"] - prev[1])
        prev = (s["t_s"], s["packets"])
    return prev[1]


def rate_unit(values):
    """pps, kpps or Mpps, whichever keeps the largest value readable."""
    top = max(values, default=0)
    return ("Mpps", 1e6) if top >= 1e6 else ("kpps", 1e3) if top >= 1e3 else ("pps", 1.0)


def loss(tx, rx):
    out = []
    for s in rx:
        sent = cumulative_at(tx, s["t_s"])
        if sent > 0:
            out.append((s["t_s"], 1.0 - s["packets"] / sent))
    return out


def cpu(system):
    """(t, softirq %, busy %) of all CPUs per sample window."""
    out, prev = [], None
    hz = system["user_hz"] or 100
    for s in system["samples"]:
        cols = [sum(c[i] for c in s["cpus"]) for i in range(8)]
        if prev is not None and s["t_s"] > prev[0] and s["cpus"]:
            d = [a - b for a, b in zip(cols, prev[1])]
            total = hz * (s["t_s"] - prev[0]) * len(s["cpus"])
            busy = sum(d) - d[IDLE] - d[IOWAIT]
            out.append((s["t_s"], 100.0 * d[SOFTIRQ] / total, 100.0 * busy / total))
        prev = (s["t_s"], cols)
    return out


def prog_ns(prog_cost):
    return [(s["t_s"], s["run_time_ns"] / s["run_cnt"]) for s in prog_cost["samples"] if s["run_cnt"]]


def write(dirpath, name, header, rows):
    with (dirpath / name).open("w") as f:
        f.write("# " + "\t".join(header) + "\n")
        for r in rows:
            f.write("\t".join(fmt(v, ".10g") for v in r) + "\n")
    return name


def panel(title, ylabel, plots, extra=()):
    return "\n".join([f"set title {gq(title)}", f"set ylabel {gq(ylabel)}", *extra,
                      "plot " + ", \\\n     ".join(plots), "unset y2tics", "unset y2label",
                      "set ytics mirror"])


def main(argv):
    if len(argv) != 1 or argv[0].startswith("-"):
        if argv and argv[0] in ("-h", "--help"):
            print(__doc__)
            return 0
        print("timeseries.py: usage: timeseries.py RESULTS_DIR", file=sys.stderr)
        return 2
    try:
        path = find_results(argv[0])
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise BadInput(f"{path}: not readable JSON: {one_line(e)}") from None
        if not isinstance(doc, dict) or "test" not in doc:
            raise BadInput(f"{path}: not a results.json (no 'test' object)")
    except BadInput as e:
        print(f"timeseries.py: {e}", file=sys.stderr)
        return 2
    gen = doc.get("generator") or {}
    recv = doc.get("receiver") or {}
    tx, rx = gen.get("samples") or [], recv.get("samples") or []
    system, prog = recv.get("system"), recv.get("prog_cost")

    out = path.parent
    gdir = out / "gnuplot"
    gdir.mkdir(exist_ok=True)
    panels = []
    rate_plots = []
    tx_rates, rx_rates = rates(tx), rates(rx)
    unit, scale = rate_unit([v for _, v in tx_rates + rx_rates])
    if tx_rates:
        f = write(gdir, "timeseries_tx.dat", ["t_s", unit], [(t, v / scale) for t, v in tx_rates])
        rate_plots.append(f"{gq(f)} using 1:2 with linespoints pt 7 lc 1 title 'TX (generator)'")
    if rx_rates:
        f = write(gdir, "timeseries_rx.dat", ["t_s", unit], [(t, v / scale) for t, v in rx_rates])
        rate_plots.append(f"{gq(f)} using 1:2 with linespoints pt 5 lc 2 title 'RX test packets (receiver)'")
    if rate_plots:
        panels.append(panel("Packet rate per sample window", f"rate ({unit})", rate_plots, ["set yrange [0:*]"]))
    if tx and rx:
        f = write(gdir, "timeseries_loss.dat", ["t_s", "loss_ratio"], loss(tx, rx))
        panels.append(panel("Loss, cumulative (1 - RX / TX, TX interpolated at the RX sample times)",
                            "loss ratio", [f"{gq(f)} using 1:2 with linespoints pt 7 lc 3 title 'loss'"]))
    cpu_plots, cpu_extra = [], ["set yrange [0:*]"]
    if system and len(system["samples"]) > 1:
        n = len(system["samples"][0]["cpus"])
        f = write(gdir, "timeseries_cpu.dat", ["t_s", "softirq_pct", "busy_pct"], cpu(system))
        cpu_plots += [f"{gq(f)} using 1:2 with linespoints pt 7 lc 4 title 'softirq (receive path), % of {n} CPUs'",
                      f"{gq(f)} using 1:3 with lines dt 2 lw 1.5 lc rgb 'black' title 'host busy, % of {n} CPUs'"]
    if prog and prog["samples"]:
        f = write(gdir, "timeseries_prog.dat", ["t_s", "ns_per_run"], prog_ns(prog))
        cpu_plots.append(f"{gq(f)} using 1:2 axes x1y2 with linespoints pt 9 lc 6 "
                         "title 'XDP program ns per run (right axis)'")
        cpu_extra += ["set y2tics", "set ytics nomirror", "set y2label 'XDP program (ns per run)'",
                      "set y2range [0:*]"]
    if cpu_plots:
        panels.append(panel("Receiver CPU (tick-sampled)", "CPU (%)", cpu_plots, cpu_extra))
    if not panels:
        print(f"timeseries.py: {path}: no samples to plot", file=sys.stderr)
        return 2
    if shutil.which("gnuplot") is None:
        print("timeseries.py: gnuplot not found (tools/deps.sh installs gnuplot-nox)", file=sys.stderr)
        return 1

    t = doc["test"]
    caption = (f"test {t['name']} (id {t['id']}), started {t['started_at']}, {t['status']}"
               + (f"; port {gen['port_driver']}" if gen.get("port_driver") else "")
               + (f"; receiver {recv['mode']} on {recv['interface']}" if recv else ""))
    w, h = SIZE_PX
    n = len(panels)
    body = "\n".join([
        "set encoding utf8", "set datafile missing 'NaN'", "set grid", "set key inside right top box opaque",
        "set xlabel 'time since the test started (s)'", "set xrange [0:*]",
        # Same margins in every panel so that their time axes line up.
        "set lmargin 12", "set rmargin 12",
        f"set multiplot layout {n},1 title {gq(caption)} font ',10'",
        *panels, "unset multiplot"])
    script = "\n".join([
        "# written by tools/plot/timeseries.py; run from this directory: gnuplot timeseries.gp",
        f"set terminal svg size {w},{h * n // 3 + 120} dynamic noenhanced font 'sans,11' background '#ffffff'",
        "set output '../timeseries.svg'", body,
        f"set terminal pngcairo size {w},{h * n // 3 + 120} noenhanced font 'sans,11'",
        "set output '../timeseries.png'", body, "unset output", ""])
    (gdir / "timeseries.gp").write_text(script)
    res = subprocess.run(["gnuplot", "timeseries.gp"], cwd=gdir, capture_output=True, text=True)
    if res.returncode != 0:
        sys.stderr.write(res.stderr)
        print(f"timeseries.py: gnuplot failed on {gdir / 'timeseries.gp'}", file=sys.stderr)
        return 1
    print(f"timeseries.py: wrote {out}/timeseries.svg and timeseries.png ({n} panels)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
