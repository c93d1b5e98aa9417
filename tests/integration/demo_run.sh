#!/usr/bin/env bash
# tools/demo.sh itself, on the programs of this build (EBT_BUILD_DIR: no
# install, no build), on its own testbed (EBT_TESTBED from lib.sh), twice:
#   1. from $WORK with `--duration=1 --results-dir=res-a` (the `=` form, a
#      relative path: taken from where the demo starts);
#   2. `tools/demo.sh --results-dir X --duration 2` (the user's flags win
#      over the quick_test preset's 30 s and the demo's own 10 s).
# Each run: exit status 0; the summary it prints says sent == received and
# lost 0 and names both results directories, which are the only ones under
# the given root (DIR/two_machine/test_..., DIR/receiver/test_...), complete,
# valid against the schema, lossless, planned for rate x duration packets;
# nothing written to the repository's results/; afterwards its testbed's
# namespaces are gone and its temporary files ($TMPDIR) removed.
source "$(dirname "$0")/lib.sh"

DEMO="$EBT_SOURCE_DIR/tools/demo.sh"
export EBT_BUILD_DIR

# demo_run NAME ROOT DURATION ARGS...: tools/demo.sh ARGS from $WORK, then
# the checks above for results root ROOT and DURATION seconds.
demo_run() {
  local name=$1 root=$2 duration=$3 rc=0
  shift 3
  mkdir -p "$WORK/tmp-$name"
  # Bounded (50 s; a 2 s demo takes about 5): on the time-out the demo gets
  # SIGTERM and removes its testbed itself.
  (cd "$WORK" && TMPDIR="$WORK/tmp-$name" timeout -k 10 50 "$DEMO" "$@") >"$WORK/$name.out" 2>&1 || rc=$?
  show() { sed 's/^/  | /' "$WORK/$name.out" >&2; fail "demo $name ($*)"; }
  [[ $rc -eq 0 ]] || show "exit status $rc$( ((rc == 124)) && echo ' (timed out)')"
  grep -q "^build: using $(cd "$EBT_BUILD_DIR" && pwd) (EBT_BUILD_DIR)$" "$WORK/$name.out" || show "did not use EBT_BUILD_DIR"
  ! grep -q "^build: ok" "$WORK/$name.out" || show "built although EBT_BUILD_DIR was given"

  # The testbed is gone, and the demo's logs with it.
  ! ip netns list 2>/dev/null | awk '{print $1}' | grep -qx -e "$EBT_TESTBED-src" -e "$EBT_TESTBED-dst" \
    || show "testbed $EBT_TESTBED still there: $(ip netns list 2>/dev/null | grep "^$EBT_TESTBED-" | tr '\n' ' ')"
  [[ -z "$(ls -A "$WORK/tmp-$name")" ]] || show "left in TMPDIR: $(ls -A "$WORK/tmp-$name")"

  local gdir rdir
  [[ -d "$root/two_machine" && -d "$root/receiver" ]] || show "no $root/two_machine and $root/receiver"
  gdir=$(only_dir "$root/two_machine")
  rdir=$(only_dir "$root/receiver")
  # The summary: sent, received, lost 0, and the two directories.
  "$PY" - "$WORK/$name.out" "$gdir" "$rdir" "$duration" <<'PY' || show "summary"
import json, os, re, sys
out, gdir, rdir, duration = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3], float(sys.argv[4])
doc = json.load(open(os.path.join(gdir, "results.json")))
s = doc["summary"]
def field(label, rx=r"(\S.*)"):
    m = re.search(rf"^  {label}\s+{rx}$", out, re.M)
    if not m:
        sys.exit(f"no '{label}' line in the summary")
    return m.group(1)
bad = []
sent, received = int(field("sent", r"(\d+)")), int(field("received", r"(\d+)"))
lost = field("lost")
rate = doc["config"]["traffic_config"]["packet_rate"]
if doc["config"]["test_config"]["duration"] != duration:
    bad.append(f"duration {doc['config']['test_config']['duration']}, given {duration}")
# The plan is rate x duration; what was sent may fall short only when a TX
# lcore was starved past the run's deadline (a loaded machine), which
# check_results.py checks (sent == target unless a thread ended at the deadline).
if doc["generator"]["target_packets"] != round(rate * duration):
    bad.append(f"target_packets {doc['generator']['target_packets']}, expected {rate} x {duration} s")
if not (0 < sent == received == s["sent_packets"] == s["received_packets"] <= round(rate * duration)):
    bad.append(f"printed sent {sent} received {received}; results sent {s['sent_packets']} "
               f"received {s['received_packets']}; rate {rate} x {duration} s")
if not lost.startswith("0 (0.0000 %)"):
    bad.append(f"lost: {lost}")
if os.path.realpath(field("results")) != os.path.realpath(gdir):
    bad.append(f"results line {field('results')}, expected {gdir}")
if os.path.realpath(field("receiver")) != os.path.realpath(rdir):
    bad.append(f"receiver line {field('receiver')}, expected {rdir}")
for b in bad:
    print("summary:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
  local sent
  sent=$(result_get "$gdir" summary.sent_packets)
  $CHECK "$gdir" --status complete --sent "$sent" --lossless || show "generator results check ($gdir)"
  $CHECK_RECV "$rdir" --status complete --test-packets "$sent" --lossless --same-as "$gdir" \
    || show "receiver results check ($rdir)"
  # Nothing in the repository's results/ of this test (same id and start).
  "$PY" - "$EBT_SOURCE_DIR/results" "$gdir/results.json" <<'PY' || show "wrote into the repository's results/"
import glob, json, os, sys
t = json.load(open(sys.argv[2]))["test"]
for f in glob.glob(os.path.join(sys.argv[1], "*", "*", "results.json")):
    try:
        u = json.load(open(f))["test"]
    except (OSError, ValueError, KeyError):
        continue
    if (u.get("id"), u.get("started_at")) == (t["id"], t["started_at"]):
        sys.exit(f"{f} is this test's")
PY
}

demo_run one "$WORK/res-a" 1 --duration=1 --results-dir=res-a
demo_run two "$WORK/res-b" 2 --results-dir "$WORK/res-b" --duration 2
echo "PASS demo: two runs, summaries and both sides' results as given, testbed removed"
