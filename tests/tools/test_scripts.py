#!/usr/bin/env python3
"""tools/rfc2544.sh and tools/sweep.sh, no testbed needed: --help (exit 0,
the FCS rule), bad flags (exit 2, one line), and whole runs over a stand-in
dpdk-gen (fake_dpdk_gen.py, EBT_DPDK_GEN) that keeps the trial-mode contract:
the right dpdk-gen options per size and flow count (--size = size - 4), each
summary collected into OUT/<size>/, the plots and report.md made, progress
passed through (JSON lines with --stats-json), and the exit status for
incomplete runs and refused input."""
import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RFC2544 = ROOT / "tools" / "rfc2544.sh"
SWEEP = ROOT / "tools" / "sweep.sh"
FAKE = Path(__file__).resolve().parent / "fake_dpdk_gen.py"
EAL = ["--no-huge", "--no-pci", "--vdev", "net_null0"]


class Scripts(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="ebt-tools.")
        self.dir = Path(self.tmp.name)
        self.log = self.dir / "argv.log"
        self.env = dict(os.environ, EBT_DPDK_GEN=f"{sys.executable} {FAKE}",
                        FAKE_GEN_LOG=str(self.log), FAKE_GEN_RESULTS=str(self.dir / "results"))

    def tearDown(self):
        self.tmp.cleanup()

    def run_script(self, script, *args, **env):
        return subprocess.run(["bash", str(script), *args], capture_output=True, text=True,
                              env=dict(self.env, **env), timeout=300, cwd=self.dir)

    def gen_calls(self):
        return [json.loads(line) for line in self.log.read_text().splitlines()] if self.log.exists() else []

    # ---------------------------------------------------------- --help, bad flags
    def test_help(self):
        for script in (RFC2544, SWEEP):
            res = self.run_script(script, "--help")
            self.assertEqual(res.returncode, 0, res.stderr)
            self.assertIn("including the 4-byte FCS", res.stdout)
            self.assertIn("--size S-4", res.stdout)
            self.assertIn("<EAL args> -- <dpdk-gen options>", res.stdout)

    def bad(self, script, *args):
        res = self.run_script(script, *args)
        self.assertEqual(res.returncode, 2, f"{args}: {res.stderr}")
        self.assertEqual(len(res.stderr.strip().splitlines()), 1, f"{args}: {res.stderr}")
        self.assertEqual(self.gen_calls(), [], f"{args}: dpdk-gen ran")
        return res.stderr

    def test_bad_flags(self):
        self.bad(RFC2544, "--sizes", "64,abc", *EAL, "--")
        self.assertIn("below 64", self.bad(RFC2544, "--sizes", "60", *EAL, "--"))
        self.bad(RFC2544, "--out")
        self.bad(RFC2544, "--search", "fastest", *EAL, "--")
        self.bad(RFC2544, *EAL)                                   # no "--"
        self.bad(RFC2544, "--", "--dst-ip", "1.2.3.4")            # no EAL args
        self.assertIn("--size", self.bad(RFC2544, *EAL, "--", "--size", "60"))
        self.bad(RFC2544, *EAL, "--", "--summary-json")
        self.bad(SWEEP, "--sizes", "64", *EAL, "--")              # no --rates
        self.bad(SWEEP, "--rates", "1Mpps,", *EAL, "--")
        self.bad(SWEEP, "--rates", "1Mpps", "--flows", "0", *EAL, "--")
        self.bad(SWEEP, "--rates", "1Mpps", "--trial-duration", "-1", *EAL, "--")
        self.bad(SWEEP, "--rates", "1Mpps", *EAL, "--", "--trials=1Mpps")

    # ---------------------------------------------------------- whole runs
    def test_rfc2544_run(self):
        out = self.dir / "out"
        res = self.run_script(RFC2544, "--sizes", "64,1518", "--out", str(out), *EAL, "--",
                              "--dst-ip", "1.2.3.4")
        self.assertEqual(res.returncode, 0, res.stderr)
        calls = self.gen_calls()
        self.assertEqual(len(calls), 2)
        for call, size in zip(calls, (60, 1514)):
            self.assertEqual(call[:call.index("--")], EAL)
            gen = call[call.index("--") + 1:]
            self.assertEqual(gen[:2], ["--dst-ip", "1.2.3.4"])
            self.assertEqual(gen[gen.index("--size") + 1], str(size))
            self.assertEqual(gen[gen.index("--search") + 1], "ndr-pdr")
            self.assertIn("--summary-json", gen)
            self.assertNotIn("--stats-json", gen)
        for size in (64, 1518):
            s = json.loads((out / str(size) / "summary.json").read_text())
            self.assertEqual(s["frame"]["on_wire_bytes"], size)
            self.assertTrue((out / str(size) / "run" / "summary.json").exists())
        self.assertIn("trial 1 warmup", res.stdout)  # dpdk-gen's progress passes through
        for name in ("throughput_vs_frame_size", "loss_vs_load", "latency_vs_load", "cpu_vs_load"):
            self.assertTrue((out / f"{name}.svg").stat().st_size > 0)
            self.assertTrue((out / f"{name}.png").stat().st_size > 0)
        md = (out / "report.md").read_text()
        self.assertIn("| 64 | 60 |", md)
        self.assertIn("| 1518 | 1514 |", md)

    def test_rfc2544_stats_json(self):
        out = self.dir / "out"
        res = self.run_script(RFC2544, "--sizes", "128", "--stats-json", "--search", "rfc2544",
                              "--out", str(out), *EAL, "--")
        self.assertEqual(res.returncode, 0, res.stderr)
        gen = self.gen_calls()[0]
        self.assertIn("--stats-json", gen)
        self.assertEqual(gen[gen.index("--search") + 1], "rfc2544")
        lines = res.stdout.splitlines()
        self.assertTrue(lines)
        for line in lines:
            json.loads(line)  # every stdout line is JSON
        self.assertEqual(json.loads(lines[0])["type"], "trial")

    def test_rfc2544_incomplete_size_still_plotted(self):
        out = self.dir / "out"
        res = self.run_script(RFC2544, "--sizes", "64,512", "--out", str(out), *EAL, "--",
                              FAKE_GEN_EXIT="1")
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertEqual(len(self.gen_calls()), 2)
        self.assertTrue((out / "report.md").exists())

    def test_rfc2544_no_summary_line(self):
        out = self.dir / "out"
        res = self.run_script(RFC2544, "--sizes", "64", "--out", str(out), *EAL, "--",
                              FAKE_GEN_NO_SUMMARY="1")
        self.assertEqual(res.returncode, 1)
        self.assertIn("no summary_dir", res.stderr)

    def test_rfc2544_refused_input_stops(self):
        res = self.run_script(RFC2544, "--sizes", "64,512", "--out", str(self.dir / "out"), *EAL, "--",
                              FAKE_GEN_EXIT="2")
        self.assertEqual(res.returncode, 2)
        self.assertEqual(len(self.gen_calls()), 1)

    def test_sweep_run(self):
        out = self.dir / "out"
        res = self.run_script(SWEEP, "--rates", "1Mpps,2Mpps", "--sizes", "64,1518", "--flows", "1,64",
                              "--trial-duration", "2", "--out", str(out), *EAL, "--", "--dst-ip", "1.2.3.4")
        self.assertEqual(res.returncode, 0, res.stderr)
        calls = [c[c.index("--") + 1:] for c in self.gen_calls()]
        got = [(c[c.index("--size") + 1], c[c.index("--flows") + 1]) for c in calls]
        self.assertEqual(got, [("60", "1"), ("60", "64"), ("1514", "1"), ("1514", "64")])
        for c in calls:
            self.assertEqual(c[c.index("--trials") + 1], "1Mpps,2Mpps")
            self.assertEqual(c[c.index("--trial-duration") + 1], "2")
            self.assertIn("--summary-json", c)
        for d in ("64B_1flows", "64B_64flows", "1518B_1flows", "1518B_64flows"):
            self.assertEqual(json.loads((out / d / "summary.json").read_text())["kind"], "sweep")
        self.assertTrue((out / "loss_vs_load.svg").exists())
        self.assertFalse((out / "throughput_vs_frame_size.svg").exists())
        self.assertIn("## Sweeps", (out / "report.md").read_text())

    def test_sweep_without_flows(self):
        out = self.dir / "out"
        res = self.run_script(SWEEP, "--rates", "500kpps", "--out", str(out), *EAL, "--")
        self.assertEqual(res.returncode, 0, res.stderr)
        gen = self.gen_calls()[0]
        self.assertNotIn("--flows", gen)
        self.assertNotIn("--trial-duration", gen)
        self.assertTrue((out / "64B" / "summary.json").exists())


if __name__ == "__main__":
    unittest.main(verbosity=2)
