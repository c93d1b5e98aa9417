#!/usr/bin/env python3
"""tools/plot/plot.py and schema/summary.schema.json, no testbed needed:
the fixtures validate; a summary with an extra field, a wrong type, or a
packet_size that is not size - 4 is refused (exit 2, one line naming the
file); every plot is written as SVG (XML, <svg> root, content) and PNG
(signature, IHDR width and height); report.md names every size and the FCS
rule; the line-rate data gives 14,880,952 pps at 64 B on 10 Gb/s; plots
without data are skipped and report.md says so."""
import json
import struct
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema

ROOT = Path(__file__).resolve().parents[2]
PLOT = ROOT / "tools" / "plot" / "plot.py"
SCHEMA = ROOT / "schema" / "summary.schema.json"
FIXTURES = sorted((Path(__file__).resolve().parent / "fixtures").glob("summary_*.json"))
FIXTURE = {int(f.stem.split("_")[1]): f for f in FIXTURES}  # by on-wire frame size
PLOTS = ["throughput_vs_frame_size", "loss_vs_load", "latency_vs_load", "cpu_vs_load"]


def run_plot(out, files):
    return subprocess.run([sys.executable, str(PLOT), "--out", str(out), *map(str, files)],
                          capture_output=True, text=True, timeout=120)


def png_size(path):
    """Width and height from the IHDR chunk, after checking the signature."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: no PNG signature"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13, f"{path}: first chunk is not IHDR"
    return struct.unpack(">II", data[16:24])


def check_svg(test, path):
    root = ET.parse(path).getroot()
    test.assertEqual(root.tag.rsplit("}", 1)[-1], "svg", path)
    test.assertGreater(len(list(root.iter())), 10, f"{path}: almost empty")


class Schema(unittest.TestCase):
    def setUp(self):
        self.schema = json.loads(SCHEMA.read_text())
        self.tmp = tempfile.TemporaryDirectory(prefix="ebt-tools.")
        self.dir = Path(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def test_schema_is_valid_draft_2020_12(self):
        jsonschema.Draft202012Validator.check_schema(self.schema)

    def test_fixtures_validate(self):
        self.assertEqual(len(FIXTURES), 3)
        for f in FIXTURES:
            jsonschema.validate(json.loads(f.read_text()), self.schema,
                                cls=jsonschema.Draft202012Validator)

    def refused(self, name, change):
        """plot.py on a broken copy of the 64 B fixture: exit 2, one line naming the file."""
        doc = json.loads(FIXTURE[64].read_text())
        change(doc)
        bad = self.dir / name
        bad.write_text(json.dumps(doc))
        res = run_plot(self.dir / "out", [FIXTURE[512], bad])
        print(res.stderr.strip())
        self.assertEqual(res.returncode, 2, res.stderr)
        lines = res.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, res.stderr)
        self.assertIn(str(bad), lines[0])
        self.assertFalse((self.dir / "out" / "report.md").exists())
        return lines[0]

    def test_extra_field_refused(self):
        line = self.refused("extra.json", lambda d: d.update(surprise=1))
        self.assertIn("surprise", line)

    def test_extra_trial_field_refused(self):
        line = self.refused("extra_trial.json", lambda d: d["trials"][0].update(pps=1))
        self.assertIn("trials/0", line)

    def test_extra_goal_field_refused(self):
        self.refused("extra_goal.json", lambda d: d["search"]["goals"][0].update(ndr=1))

    def test_wrong_type_refused(self):
        line = self.refused("wrong_type.json", lambda d: d["trials"][1].update(load_pps="1Mpps"))
        self.assertIn("load_pps", line)

    def test_packet_size_must_be_size_minus_fcs(self):
        line = self.refused("fcs.json", lambda d: d["frame"].update(packet_size=d["frame"]["on_wire_bytes"]))
        self.assertIn("FCS", line)

    def test_search_kind_needs_search(self):
        self.refused("kind.json", lambda d: d.update(search=None))

    def test_not_json_refused(self):
        bad = self.dir / "broken.json"
        bad.write_text("{not json")
        res = run_plot(self.dir / "out", [bad])
        self.assertEqual(res.returncode, 2)
        self.assertEqual(len(res.stderr.strip().splitlines()), 1)
        self.assertIn(str(bad), res.stderr)

    def test_missing_file_refused(self):
        res = run_plot(self.dir / "out", [self.dir / "nope.json"])
        self.assertEqual(res.returncode, 2)
        self.assertIn("nope.json", res.stderr)

    def test_no_arguments_one_line(self):
        res = subprocess.run([sys.executable, str(PLOT)], capture_output=True, text=True)
        self.assertEqual(res.returncode, 2)
        self.assertEqual(len(res.stderr.strip().splitlines()), 1, res.stderr)


class Plots(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="ebt-tools.")
        cls.out = Path(cls.tmp.name) / "out"
        cls.res = run_plot(cls.out, FIXTURES)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_exit_0(self):
        self.assertEqual(self.res.returncode, 0, self.res.stderr)

    def test_every_plot_svg_and_png(self):
        for name in PLOTS:
            check_svg(self, self.out / f"{name}.svg")
            w, h = png_size(self.out / f"{name}.png")
            self.assertGreater(w, 0)
            self.assertGreater(h, 0)

    def test_svg_has_caption_and_units(self):
        text = (self.out / "throughput_vs_frame_size.svg").read_text()
        for s in ["bench-a", "6.18.44", "AMD EPYC 7763", "net_af_packet", "10000 Mb/s", "2026-11-27",
                  "(Mpps)", "% of line rate", "(bytes)", "generator limit", "20 B", "FCS"]:
            self.assertIn(s, text)
        self.assertIn("offered load (Mpps)", (self.out / "loss_vs_load.svg").read_text())
        self.assertIn("(µs)", (self.out / "latency_vs_load.svg").read_text())
        self.assertIn("(ns)", (self.out / "cpu_vs_load.svg").read_text())

    def test_report(self):
        md = (self.out / "report.md").read_text()
        self.assertIn("frame sizes are on-wire, including the 4-byte FCS; packet_size = size − 4", md)
        for size in ("64", "512", "1518"):
            self.assertRegex(md, rf"\n\| {size} \| {int(size) - 4} \|")
        for name in PLOTS:
            self.assertIn(f"({name}.svg)", md)
            self.assertIn(f"({name}.png)", md)
        self.assertIn("generator limit", md)
        self.assertIn("the generator, not the device, was the limit", md)

    def test_line_rate_64_bytes_10g(self):
        # 10e9 / ((64 + 20) * 8) = 14,880,952.38 frames/s
        rows = [line.split("\t") for line in
                (self.out / "gnuplot" / "line_rate_10000mbps.dat").read_text().splitlines()
                if not line.startswith("#")]
        pps = {int(r[0]): float(r[1]) for r in rows}
        self.assertEqual(int(pps[64]), 14880952)
        self.assertAlmostEqual(pps[64], 1e10 / (84 * 8), places=1)
        self.assertEqual(int(pps[1518]), 812743)

    def test_generator_limited_points_drawn_apart(self):
        rows = (self.out / "gnuplot" / "throughput_generator_limited.dat").read_text().splitlines()
        self.assertTrue(rows[1:] and all(r.split("\t")[0] == "64" for r in rows[1:]))


class Skips(unittest.TestCase):
    def test_no_latency_no_cpu_skipped_with_note(self):
        with tempfile.TemporaryDirectory(prefix="ebt-tools.") as tmp:
            doc = json.loads(FIXTURE[1518].read_text())
            for t in doc["trials"]:
                t["latency_ns"] = None
                t["receive_cpu_ns_per_packet"] = None
            f = Path(tmp) / "s.json"
            f.write_text(json.dumps(doc))
            res = run_plot(Path(tmp) / "out", [f])
            self.assertEqual(res.returncode, 0, res.stderr)
            out = Path(tmp) / "out"
            self.assertTrue((out / "loss_vs_load.svg").exists())
            self.assertFalse((out / "latency_vs_load.svg").exists())
            self.assertFalse((out / "cpu_vs_load.svg").exists())
            md = (out / "report.md").read_text()
            self.assertIn("Latency vs load: not drawn", md)
            self.assertIn("Receive CPU per packet vs load: not drawn", md)

    def test_sweep_summary(self):
        with tempfile.TemporaryDirectory(prefix="ebt-tools.") as tmp:
            doc = json.loads(FIXTURE[64].read_text())
            doc["kind"], doc["search"] = "sweep", None
            for t in doc["trials"]:
                t["purpose"] = "sweep"
            f = Path(tmp) / "s.json"
            f.write_text(json.dumps(doc))
            res = run_plot(Path(tmp) / "out", [f])
            self.assertEqual(res.returncode, 0, res.stderr)
            md = (Path(tmp) / "out" / "report.md").read_text()
            self.assertIn("Throughput vs frame size: not drawn", md)
            self.assertIn("## Sweeps", md)
            check_svg(self, Path(tmp) / "out" / "loss_vs_load.svg")


class Timeseries(unittest.TestCase):
    """tools/plot/timeseries.py over a real results.json (tools/demo.sh's 5 s quick test)."""
    SRC = Path(__file__).resolve().parent / "fixtures" / "results_quick" / "results.json"
    TS = ROOT / "tools" / "plot" / "timeseries.py"

    def run_ts(self, doc):
        tmp = tempfile.TemporaryDirectory(prefix="ebt-tools.")
        self.addCleanup(tmp.cleanup)
        d = Path(tmp.name) / "test_x"
        d.mkdir()
        (d / "results.json").write_text(json.dumps(doc))
        res = subprocess.run([sys.executable, str(self.TS), str(d)], capture_output=True, text=True, timeout=60)
        return res, d

    def test_all_panels(self):
        res, d = self.run_ts(json.loads(self.SRC.read_text()))
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("3 panels", res.stdout)
        check_svg(self, d / "timeseries.svg")
        self.assertGreater(min(png_size(d / "timeseries.png")), 0)
        text = (d / "timeseries.svg").read_text()
        for s in ["TX (generator)", "RX test packets", "loss ratio", "softirq", "time since the test started (s)"]:
            self.assertIn(s, text)

    def test_absent_series_skipped(self):
        doc = json.loads(self.SRC.read_text())
        doc["receiver"] = None
        res, d = self.run_ts(doc)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("1 panels", res.stdout)
        self.assertNotIn("RX test packets", (d / "timeseries.svg").read_text())

    def test_no_samples_refused(self):
        doc = json.loads(self.SRC.read_text())
        doc["receiver"] = None
        doc["generator"]["samples"] = []
        res, _ = self.run_ts(doc)
        self.assertEqual(res.returncode, 2)
        self.assertEqual(len(res.stderr.strip().splitlines()), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
