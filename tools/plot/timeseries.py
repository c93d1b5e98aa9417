#!/usr/bin/env python3
"""One test's samples against time: TX and RX rate, loss, receive CPU.

Usage: tools/plot/timeseries.py RESULTS_DIR
       tools/plot/timeseries.py --all SUMMARY_DIR

RESULTS_DIR is a test directory of dpdk-gen or xdp-recv (its results.json,
schema/results.schema.json), a trial directory of a trial session
(SUMMARY_DIR/trials/NNN_<purpose>/, the same layout), or a directory with
exactly one results.json below it.  Writes timeseries.svg and timeseries.png
beside that results.json (the gnuplot data and script in gnuplot/ there).
Panels, each drawn only when its samples are there:
  rate   TX pps (generator.samples), RX pps (receiver.samples), per sample window
  loss   1 - RX/TX, cumulative, TX interpolated at each RX sample's time
  CPU    softirq (the receive path) and busy share of all the receiver's CPUs
         (receiver.system.samples: /proc/stat, tick-sampled, so each point
         covers a window of at least 2 s), and the XDP program's ns per run
         (receiver.prog_cost.samples) on the right axis
The two sides' t_s both count from the test's start, so they share the axis.

Then the results.md beside results.json gets a "## Time series" section
with the plot and a line on its panels: replaced when it is there already
(the rest of the file unchanged), written whole to a temporary file and
renamed.  A missing results.md (xdp-recv writes none) is not created.

--all SUMMARY_DIR does this for every trial directory SUMMARY_DIR/trials/*/.

Exit status: 0 done, 1 gnuplot failed or results.md not written, 2 bad
input (one line); with --all the worst of the trials.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plot import fmt, gq, one_line  # noqa: E402  (same directory)

SOFTIRQ, IDLE, IOWAIT = 6, 3, 4  # columns of a /proc/stat cpu line (user first)
SIZE_PX = (1000, 900)
# /proc/stat is filled on the timer tick: a CPU share over less than ~2 s is
# too coarse to read (receiver/system_monitor.hpp uses the same floor).
CPU_MIN_WINDOW_S = 2.0
SECTION = "## Time series"
IMAGE = "![TX and RX rate, loss and receive CPU against time](timeseries.svg)"


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
        hint = " (a trial session? --all plots each trial)" if (p / "trials").is_dir() else ""
        raise BadInput(f"{path}: expected one results.json below it, found {len(found)}{hint}")
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


def cpu(system, min_window_s=CPU_MIN_WINDOW_S):
    """(t, softirq %, busy %) of all CPUs at each sample, over the window back
    to the latest earlier sample at least min_window_s before it (none for the
    samples closer than that to the first)."""
    out, seen = [], []
    hz = system["user_hz"] or 100
    for s in system["samples"]:
        cols = [sum(c[i] for c in s["cpus"]) for i in range(8)]
        start = next((p for p in reversed(seen) if s["t_s"] - p[0] >= min_window_s), None)
        if start is not None and s["cpus"]:
            d = [a - b for a, b in zip(cols, start[1])]
            total = hz * (s["t_s"] - start[0]) * len(s["cpus"])
            busy = sum(d) - d[IDLE] - d[IOWAIT]
            out.append((s["t_s"], 100.0 * d[SOFTIRQ] / total, 100.0 * busy / total))
        seen.append((s["t_s"], cols))
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


def section_text(descriptions):
    """The results.md section: the plot and one line on what its panels show."""
    return (f"{SECTION}\n\n{IMAGE}\n\n"
            "Panels, top to bottom: " + "; ".join(descriptions) + ". "
            "PNG: [timeseries.png](timeseries.png); data and script: gnuplot/timeseries.gp.\n")


def with_section(text, section):
    """text with its time-series section replaced by section, or section
    appended when there is none; every other byte as it was."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip("\r\n") == SECTION), None)
    if start is None:
        head = text if not text or text.endswith("\n") else text + "\n"
        return head + ("\n" if head.strip() else "") + section
    # The section runs up to the next heading of its level or above.
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(("# ", "## "))), len(lines))
    before, after = "".join(lines[:start]), "".join(lines[end:])
    return before + section + ("\n" + after if after else "")


def write_atomic(path, text):
    """Write text to path through a temporary file in the same directory,
    fsync'ed and renamed over it: a reader sees the old or the new file whole."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    # The rename itself on disk too.
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def update_markdown(dirpath, descriptions):
    """Put the time-series section into dirpath/results.md; 0 done (or no
    results.md: nothing to update), 1 not written (results.md as it was)."""
    md = dirpath / "results.md"
    if not md.exists():
        print(f"timeseries.py: {md}: none there, not created (the plot is beside it)", file=sys.stderr)
        return 0
    try:
        # newline="" keeps the file's own line ends, so untouched bytes stay so.
        with md.open(encoding="utf-8", newline="") as f:
            text = f.read()
        new = with_section(text, section_text(descriptions))
        if new != text:
            write_atomic(md, new)
    except (OSError, UnicodeError) as e:
        print(f"timeseries.py: {md}: not updated: {one_line(e)}", file=sys.stderr)
        return 1
    print(f"timeseries.py: {md}: section '{SECTION}' " + ("written" if new != text else "already current"))
    return 0


def load(arg):
    """The results.json path and its document; BadInput when not one."""
    path = find_results(arg)
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise BadInput(f"{path}: not readable JSON: {one_line(e)}") from None
    if not isinstance(doc, dict) or "test" not in doc:
        raise BadInput(f"{path}: not a results.json (no 'test' object)")
    return path, doc


def plot_one(arg):
    """Plot one test directory and update its results.md; the exit status."""
    try:
        path, doc = load(arg)
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
    panels, descriptions = [], []
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
        sides = " and ".join(n for n, v in (("TX (generator)", tx_rates), ("RX test packets (receiver)", rx_rates))
                             if v)
        descriptions.append(f"{sides} packet rate per sample window")
    if tx and rx:
        f = write(gdir, "timeseries_loss.dat", ["t_s", "loss_ratio"], loss(tx, rx))
        panels.append(panel("Loss, cumulative (1 - RX / TX, TX interpolated at the RX sample times)",
                            "loss ratio", [f"{gq(f)} using 1:2 with linespoints pt 7 lc 3 title 'loss'"]))
        descriptions.append("cumulative loss, 1 - RX/TX with TX interpolated at each RX sample's time")
    cpu_plots, cpu_extra = [], ["set yrange [0:*]"]
    cpu_what = []
    if system and len(system["samples"]) > 1:
        n = len(system["samples"][0]["cpus"])
        f = write(gdir, "timeseries_cpu.dat", ["t_s", "softirq_pct", "busy_pct"], cpu(system))
        cpu_plots += [f"{gq(f)} using 1:2 with linespoints pt 7 lc 4 title 'softirq (receive path), % of {n} CPUs'",
                      f"{gq(f)} using 1:3 with lines dt 2 lw 1.5 lc rgb 'black' title 'host busy, % of {n} CPUs'"]
        cpu_what.append(f"softirq (the receive path) and busy share of all {n} receiver CPUs from /proc/stat, "
                        f"which the kernel fills on its timer tick, so each point covers a window of at least "
                        f"{CPU_MIN_WINDOW_S:g} s")
    if prog and prog["samples"]:
        f = write(gdir, "timeseries_prog.dat", ["t_s", "ns_per_run"], prog_ns(prog))
        cpu_plots.append(f"{gq(f)} using 1:2 axes x1y2 with linespoints pt 9 lc 6 "
                         "title 'XDP program ns per run (right axis)'")
        cpu_extra += ["set y2tics", "set ytics nomirror", "set y2label 'XDP program (ns per run)'",
                      "set y2range [0:*]"]
        cpu_what.append("the XDP program's ns per run from the kernel's BPF run-time stats (right axis)")
    if cpu_plots:
        panels.append(panel(f"Receiver CPU (tick-sampled, windows of at least {CPU_MIN_WINDOW_S:g} s)",
                            "CPU (%)", cpu_plots, cpu_extra))
        descriptions.append("receiver CPU: " + ", and ".join(cpu_what))
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
    return update_markdown(out, descriptions)


def plot_all(summary_dir):
    """Every trial of a trial session; the worst exit status of them."""
    trials = Path(summary_dir) / "trials"
    dirs = sorted(d for d in trials.iterdir() if d.is_dir()) if trials.is_dir() else []
    if not dirs:
        print(f"timeseries.py: {summary_dir}: no trial directories (trials/*/)", file=sys.stderr)
        return 2
    return max(plot_one(str(d)) for d in dirs)


def main(argv):
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    if len(argv) == 2 and argv[0] == "--all":
        return plot_all(argv[1])
    if len(argv) == 1 and argv[0].startswith("--all="):
        return plot_all(argv[0].split("=", 1)[1])
    if len(argv) != 1 or argv[0].startswith("-"):
        print("timeseries.py: usage: timeseries.py RESULTS_DIR | --all SUMMARY_DIR", file=sys.stderr)
        return 2
    return plot_one(argv[0])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
