#!/usr/bin/env python3
"""tools/plot/timeseries.py and the results.md it updates, no testbed needed:
after two runs results.md has exactly one "## Time series" section and every
other byte as it was; a stale section is replaced in place; a missing
results.md is not created; xdp-recv's receiver-only results.json is
plotted; --all plots every trial of a trial session and updates each
results.md, its exit status the worst; a results.md that cannot be replaced
is left as it was, with no temporary file behind; the CPU panel's windows
are at least 2 s.  Plots are checked as test_plot.py checks them."""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_plot import check_svg, png_size  # noqa: E402  (same directory)

ROOT = Path(__file__).resolve().parents[2]
TS = ROOT / "tools" / "plot" / "timeseries.py"
QUICK = Path(__file__).resolve().parent / "fixtures" / "results_quick"
SECTION = "## Time series"
IMAGE = "![TX and RX rate, loss and receive CPU against time](timeseries.svg)"


def run_ts(*args):
    return subprocess.run([sys.executable, str(TS), *map(str, args)], capture_output=True, text=True, timeout=120)


def load_module():
    """timeseries.py in this process, to reach its functions and make its writes fail."""
    spec = importlib.util.spec_from_file_location("timeseries", TS)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def sections(text):
    return [line for line in text.splitlines() if line == SECTION]


def leftovers(d):
    """Temporary files the atomic write may have left."""
    return [p.name for p in d.iterdir() if p.name.endswith(".tmp")]


class Base(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="ebt-tools.")
        self.addCleanup(tmp.cleanup)
        self.tmp = Path(tmp.name)

    def make_test_dir(self, parent=None, name="test_x", md=True):
        """A copy of the quick test's directory (results.json, results.md)."""
        d = (parent or self.tmp) / name
        d.mkdir(parents=True)
        shutil.copy(QUICK / "results.json", d)
        if md:
            shutil.copy(QUICK / "results.md", d)
        return d

    def check_plots(self, d):
        check_svg(self, d / "timeseries.svg")
        w, h = png_size(d / "timeseries.png")
        self.assertGreater(w, 0)
        self.assertGreater(h, 0)


class Markdown(Base):
    def test_two_runs_one_section_rest_unchanged(self):
        d = self.make_test_dir()
        orig = (QUICK / "results.md").read_bytes()
        first = run_ts(d)
        self.assertEqual(first.returncode, 0, first.stderr)
        after_one = (d / "results.md").read_bytes()
        second = run_ts(d)
        self.assertEqual(second.returncode, 0, second.stderr)
        after_two = (d / "results.md").read_bytes()
        self.check_plots(d)

        self.assertEqual(after_one, after_two)
        text = after_two.decode()
        self.assertEqual(len(sections(text)), 1, text)
        # Everything that was there, byte for byte, then the section alone.
        self.assertTrue(after_two.startswith(orig))
        added = after_two[len(orig):].decode()
        self.assertTrue(added.startswith("\n" + SECTION + "\n\n" + IMAGE + "\n\n"), added)
        self.assertEqual(added.count("\n## "), 1, added)
        line = added.rstrip("\n").splitlines()[-1]
        for s in ["TX (generator)", "RX test packets", "loss", "softirq", "/proc/stat", "tick",
                  "at least 2 s", "XDP program"]:
            self.assertIn(s, line)
        self.assertEqual(leftovers(d), [])

    def test_stale_section_replaced_in_place(self):
        d = self.make_test_dir()
        orig = (QUICK / "results.md").read_text()
        head, tail = orig.split("## Flows\n")
        stale = f"{SECTION}\n\nan older plot, with text that must go\n\n"
        (d / "results.md").write_text(head + stale + "## Flows\n" + tail)
        res = run_ts(d)
        self.assertEqual(res.returncode, 0, res.stderr)
        text = (d / "results.md").read_text()
        self.assertEqual(len(sections(text)), 1, text)
        self.assertNotIn("an older plot", text)
        self.assertTrue(text.startswith(head + SECTION + "\n\n" + IMAGE + "\n\n"))
        self.assertTrue(text.endswith("\n\n## Flows\n" + tail), text)

    def test_no_trailing_newline_kept_as_prefix(self):
        d = self.make_test_dir()
        (d / "results.md").write_text("# Test x\n\nlast line without an end")
        res = run_ts(d)
        self.assertEqual(res.returncode, 0, res.stderr)
        text = (d / "results.md").read_text()
        self.assertTrue(text.startswith("# Test x\n\nlast line without an end\n\n" + SECTION + "\n"), text)

    def test_missing_results_md_not_created(self):
        d = self.make_test_dir(md=False)
        res = run_ts(d)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.check_plots(d)
        self.assertFalse((d / "results.md").exists())
        self.assertIn("not created", res.stderr)
        self.assertEqual(leftovers(d), [])

    def test_receiver_only_results(self):
        # xdp-recv's own results.json: the test and the receiver side only.
        d = self.tmp / "test_recv"
        d.mkdir()
        doc = json.loads((QUICK / "results.json").read_text())
        (d / "results.json").write_text(json.dumps({k: doc[k] for k in ("schema_version", "test", "receiver")}))
        res = run_ts(d)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("(2 panels)", res.stdout)
        self.check_plots(d)
        svg = (d / "timeseries.svg").read_text()
        self.assertIn("RX test packets", svg)
        self.assertNotIn("TX (generator)", svg)
        self.assertFalse((d / "results.md").exists())


class WriteFailure(Base):
    """A results.md that cannot be replaced stays as it was."""

    def test_results_md_a_directory(self):
        # As root, mode bits (chmod 0555) do not stop a write; a directory in
        # results.md's place makes reading and renaming over it fail instead.
        d = self.make_test_dir(md=False)
        (d / "results.md").mkdir()
        res = run_ts(d)
        self.assertEqual(res.returncode, 1, res.stderr)
        self.check_plots(d)
        self.assertTrue((d / "results.md").is_dir())
        self.assertEqual(list((d / "results.md").iterdir()), [])
        self.assertIn("not updated", res.stderr)
        self.assertEqual(leftovers(d), [])

    def failing(self, target):
        """update_markdown with `target` (os.replace or os.fsync) raising."""
        ts = load_module()
        d = self.make_test_dir()
        before = (d / "results.md").read_bytes()
        with mock.patch.object(ts.os, target, side_effect=OSError(28, "No space left on device")), \
                mock.patch("sys.stderr", new_callable=lambda: open(os.devnull, "w")) as err:
            rc = ts.update_markdown(d, ["a panel"])
            err.close()
        self.assertEqual(rc, 1)
        self.assertEqual((d / "results.md").read_bytes(), before)
        self.assertEqual(leftovers(d), [])

    def test_rename_fails(self):
        self.failing("replace")

    def test_fsync_fails(self):
        self.failing("fsync")


class All(Base):
    def session(self):
        """A trial session's directory: two trials, each a copy of the quick test."""
        s = self.tmp / "test_20261127_210430_QuickTest_search"
        trials = [self.make_test_dir(s / "trials", name) for name in ("001_initial", "002_search")]
        (s / "summary.md").write_text("# Search\n")
        return s, trials

    def test_every_trial_plotted(self):
        s, trials = self.session()
        res = run_ts("--all", s)
        self.assertEqual(res.returncode, 0, res.stderr)
        orig = (QUICK / "results.md").read_bytes()
        for d in trials:
            self.assertIn(str(d), res.stdout)
            self.check_plots(d)
            md = (d / "results.md").read_bytes()
            self.assertTrue(md.startswith(orig))
            self.assertEqual(len(sections(md.decode())), 1)
        self.assertEqual((s / "summary.md").read_text(), "# Search\n")

    def test_trial_directory_alone(self):
        _, trials = self.session()
        res = run_ts(trials[1])
        self.assertEqual(res.returncode, 0, res.stderr)
        self.check_plots(trials[1])
        self.assertFalse((trials[0] / "timeseries.svg").exists())

    def test_worst_exit_status(self):
        s, trials = self.session()
        (trials[0] / "results.json").write_text("{not json")
        res = run_ts("--all", s)
        self.assertEqual(res.returncode, 2, res.stderr)
        self.check_plots(trials[1])
        self.assertEqual(len(sections((trials[1] / "results.md").read_text())), 1)
        self.assertEqual((trials[0] / "results.md").read_bytes(), (QUICK / "results.md").read_bytes())

    def test_no_trials_refused(self):
        res = run_ts("--all", self.tmp)
        self.assertEqual(res.returncode, 2)
        self.assertEqual(len(res.stderr.strip().splitlines()), 1, res.stderr)

    def test_session_without_all_points_to_it(self):
        s, _ = self.session()
        res = run_ts(s)
        self.assertEqual(res.returncode, 2)
        self.assertIn("--all", res.stderr)


class CpuWindows(unittest.TestCase):
    def test_windows_at_least_2_s(self):
        # One CPU, samples every second, 30 softirq and 60 busy ticks of 100 per second.
        def sample(t):
            ticks = [10 * t, 0, 20 * t, 40 * t, 0, 0, 30 * t, 0]  # user nice system idle iowait irq softirq steal
            return {"t_s": float(t), "cpus": [ticks]}
        system = {"user_hz": 100, "samples": [sample(t) for t in range(6)]}
        points = load_module().cpu(system)
        self.assertEqual([p[0] for p in points], [2.0, 3.0, 4.0, 5.0])
        for _, softirq, busy in points:
            self.assertAlmostEqual(softirq, 30.0)
            self.assertAlmostEqual(busy, 60.0)

    def test_fixture_first_point_after_2_s(self):
        doc = json.loads((QUICK / "results.json").read_text())
        system = doc["receiver"]["system"]
        points = load_module().cpu(system)
        self.assertTrue(points)
        self.assertGreaterEqual(points[0][0] - system["samples"][0]["t_s"], 2.0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
