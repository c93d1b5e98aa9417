#!/usr/bin/env bash
# Benchmarks the receiver on its own testbed (two namespaces, one veth pair;
# prefix br<PID>, removed on every exit path), under the same offered
# traffic from dpdk-gen (net_af_packet on the source veth, 60-byte frames):
#   1. per-packet cost from the kernel's BPF run-time stats (run_time_ns /
#      run_cnt, bpf_enable_stats) of xdp-recv's program (coordinated run,
#      full accounting: sequence, latency histogram) against the bare
#      count-and-drop program tools/bench/xdp_count_drop.bpf.c, alternately
#      (A B A B), 64 flows; both and the ratio (goal <= 1.3);
#   2. xdp-recv's cost with 1, 64, 4096 and 65536 flows (goal: flat within 20%);
#   3. CPU ns per received packet in baseline mode and XDP mode at the same
#      rate (and the bare program's for the floor), two ways: whole-host busy
#      CPU (/proc/stat, all CPUs, softirq included: the generator and anything
#      else on the host too) and the receive path's own (softirq of all CPUs
#      + xdp-recv's own CPU time), each +- its tick-resolution bound.
#
# Usage (as root): tools/bench-recv.sh [--quick] [--rate PPS] [--duration S]
#   default: 5 s runs, 2 alternations, --rate 200000
#   --quick: 3 s runs, 1 alternation
# Env: EBT_BUILD_DIR (default build/; its programs, the bench ones
# (tools/bench/meson.build) included, are brought up to date with ninja)
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
source "$SRC/tools/lib/harness.sh"

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }

QUICK=0 RATE=200000 DUR=""
while (($#)); do
  case "$1" in
    --quick) QUICK=1 ;;
    --rate) RATE=${2:?--rate needs a value}; shift ;;
    --duration) DUR=${2:?--duration needs a value}; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench-recv.sh: unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[[ $RATE =~ ^[1-9][0-9]*$ ]] || { echo "bench-recv.sh: --rate: expected packets per second, got '$RATE'" >&2; exit 2; }
if [[ -n $DUR && ! $DUR =~ ^[1-9][0-9]*$ ]]; then
  echo "bench-recv.sh: --duration: expected whole seconds, got '$DUR'" >&2; exit 2
fi
if [[ $EUID -ne 0 ]]; then
  echo "bench-recv.sh: run as root (XDP, namespaces, DPDK)" >&2
  exit 2
fi
if ((QUICK)); then ALTS=1; DUR=${DUR:-3}; else ALTS=2; DUR=${DUR:-5}; fi

BUILD=${EBT_BUILD_DIR:-$SRC/build}
[[ -f $BUILD/build.ninja ]] ||
  { echo "bench-recv.sh: no build in $BUILD (build first: tools/build.sh, or meson setup $BUILD)" >&2; exit 2; }
hx_programs "$BUILD"
BARE_OBJ=$BUILD/tools/bench/xdp_count_drop.bpf.o
LOADER=$BUILD/tools/bench/xdp_bench_loader
PY=$HX_PY
# The programs measured, the bare reference and its loader: up to date.
ninja_log=$(ninja -C "$BUILD" generator/dpdk-gen receiver/xdp-recv tools/bench/xdp_count_drop.bpf.o \
  tools/bench/xdp_bench_loader 2>&1) || { echo "$ninja_log" >&2; echo "bench-recv.sh: build failed" >&2; exit 2; }
for f in "$DPDK_GEN" "$XDP_RECV" "$LOADER" "$PY"; do
  [[ -x $f ]] || { echo "bench-recv.sh: $f not found or not executable (build first: ninja -C build)" >&2; exit 2; }
done

export EBT_TESTBED="br$$"
unset EBT_TOKEN   # the testbed range needs no secret
TMP=$(mktemp -d /tmp/bench-recv.XXXXXX)
HX_CLEAN+=("$TMP")
# On every exit: the programs stopped, the testbed (the veth and any XDP
# program on it) down, $TMP removed.
hx_traps
hx_testbed_up
DST_MAC=$(ip netns exec "$DST_NS" cat "/sys/class/net/$DST_IF/address")
GEN_EAL=(--vdev "net_af_packet0,iface=$SRC_IF" --log-level=error)

# /proc/stat ticks of all CPUs: busy (user nice system irq softirq steal), softirq, the CPU count
busy_ticks() { awk '/^cpu[0-9]/ {b += $2 + $3 + $4 + $7 + $8 + $9; s += $8; n++} END {print b, s, n}' /proc/stat; }

# run_bare FLOWS -> "ns_per_packet run_cnt busy_ns busy_bound_ns softirq_ns softirq_bound_ns sent"
run_bare() {
  local flows=$1 d
  d=$(mktemp -d "$TMP/bare.XXXXXX")
  mkfifo "$d/ctl"
  ip netns exec "$DST_NS" "$LOADER" "$BARE_OBJ" "$DST_IF" <"$d/ctl" >"$d/out" 2>&1 &
  local lpid=$!
  BG_PIDS+=("$lpid")
  exec {ctl}>"$d/ctl"   # hold the fifo open: the loader waits for a line on it
  for _ in $(seq 200); do grep -q ready "$d/out" && break; kill -0 "$lpid" 2>/dev/null || break; sleep 0.05; done
  grep -q ready "$d/out" || { cat "$d/out" >&2; echo "bench-recv.sh: the bare program did not attach" >&2; exit 1; }
  read -r b0 s0 ncpu < <(busy_ticks)
  hx_gen "$SRC_NS" "${GEN_EAL[@]}" -- --no-coordination --dst-mac "$DST_MAC" --dst-ip "$DST_IP" \
    --rate "$RATE" --duration "$DUR" --flows "$flows" --size 60 --name bare --results-dir "$d/gen" \
    >"$d/gen.out" 2>&1 || { tail -n 20 "$d/gen.out" >&2; exit 1; }
  read -r b1 s1 _ < <(busy_ticks)
  echo >&"$ctl"
  exec {ctl}>&-
  wait "$lpid"
  local sent
  sent=$(result_figures "$d/gen/two_machine" sent)
  "$PY" - "$d/out" "$b0" "$b1" "$s0" "$s1" "$ncpu" "$sent" <<'EOF'
import sys, os
words = open(sys.argv[1]).read().split()
v = dict(zip(words[1::2], words[2::2])) if words[0] == "ready" else {}
cnt, t = int(v["run_cnt"]), int(v["run_time_ns"])
tick = 10**9 // os.sysconf("SC_CLK_TCK")
b0, b1, s0, s1, ncpu, sent = (int(x) for x in sys.argv[2:8])
# the same bounds as xdp-recv's: busy n x 8 ticks; softirq (3n + 2) ticks (the loader's own time is ~0)
print(t / cnt, cnt, (b1 - b0) * tick, ncpu * 8 * tick, (s1 - s0) * tick, (3 * ncpu + 2) * tick, sent)
EOF
}

# run_recv MODE FLOWS -> "ns_per_packet|- run_cnt busy_ns_per_pkt bound receive_ns_per_pkt bound received sent"
run_recv() {
  local mode=$1 flows=$2 d
  d=$(mktemp -d "$TMP/recv.XXXXXX")
  hx_start_receiver "$d/recv.out" 8080 --results-dir "$d/recv" --once --mode "$mode" || exit 1
  local rpid=$RECV_PID
  BG_PIDS+=("$rpid")
  # The receiver's own results.json is read: with 65,536 flows its report
  # exceeds the control protocol's 1 MiB frame, so dpdk-gen's run ends
  # incomplete while the receiver's side is whole.
  hx_gen "$SRC_NS" "${GEN_EAL[@]}" -- --dst-ip "$DST_IP" --rate "$RATE" --duration "$DUR" \
    --flows "$flows" --size 60 --name "recv_$mode" --results-dir "$d/gen" >"$d/gen.out" 2>&1 || true
  wait "$rpid" || true
  local sent fields ns cnt rest
  { sent=$(result_figures "$d/gen/two_machine" sent) &&
    fields=$(result_get "$d/recv/receiver" receiver.prog_cost.ns_per_packet receiver.prog_cost.run_cnt \
      receiver.system.busy_cpu_ns_per_packet receiver.system.busy_cpu_ns_per_packet_bound \
      receiver.system.receive_cpu_ns_per_packet receiver.system.receive_cpu_ns_per_packet_bound \
      receiver.test_packets); } || { tail -n 20 "$d/gen.out" "$d/recv.out" >&2; exit 1; }
  read -r ns cnt rest <<<"$fields"
  [[ $cnt != - ]] || cnt=0   # no prog_cost (baseline mode): "- 0"
  echo "$ns $cnt $rest $sent"
}

stats() {  # stats VALUES... -> "mean min max"
  "$PY" -c 'import sys; v=[float(x) for x in sys.argv[1:]]; print(sum(v)/len(v), min(v), max(v))' "$@"
}

echo "=== xdp-recv benchmark ($( ((QUICK)) && echo quick || echo full ) mode) ==="
echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "host:    $(hostname)"
echo "cpus:    $(nproc) ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'))"
echo "kernel:  $(uname -srm)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min; other load skews the figures)"
echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- bpf receiver 2>/dev/null || echo ' (bpf/receiver modified)')"
echo "testbed: $EBT_TESTBED: $SRC_NS/$SRC_IF -> $DST_NS/$DST_IF (veth, XDP $(ip netns exec "$DST_NS" ethtool -i "$DST_IF" 2>/dev/null | awk '/^driver/ {print $2}') driver)"
echo "traffic: dpdk-gen net_af_packet, $RATE pps, 60-byte frames (64 on the wire), ${DUR} s per run"
echo

# ---------------------------------------------------------------- 1. bare vs xdp-recv
echo "=== 1. BPF run time per packet: xdp-recv (full accounting, 64 flows) vs bare count-and-drop ==="
bare=(); full=()
for ((i = 1; i <= ALTS; i++)); do
  read -r ns cnt _ < <(run_bare 64)
  bare+=("$ns"); printf '  run %d  bare count+drop  %7.1f ns/packet  (%d runs)\n' "$i" "$ns" "$cnt"
  read -r ns cnt _ < <(run_recv xdp 64)
  full+=("$ns"); printf '  run %d  xdp-recv         %7.1f ns/packet  (%d runs)\n' "$i" "$ns" "$cnt"
done
read -r mb _ _ < <(stats "${bare[@]}")
read -r mf _ _ < <(stats "${full[@]}")
"$PY" -c 'import sys; b, f = float(sys.argv[1]), float(sys.argv[2]); print("  mean   bare %.1f ns, xdp-recv %.1f ns: ratio %.2f (goal <= 1.3): %s" % (b, f, f / b, "met" if f / b <= 1.3 else "NOT met"))' "$mb" "$mf"
echo "  (run_time_ns / run_cnt from bpf_prog_info with bpf_enable_stats(BPF_STATS_RUN_TIME); includes the"
echo "   kernel's own clock reads around each run, the same for both programs)"
echo

# ---------------------------------------------------------------- 2. flows
echo "=== 2. xdp-recv BPF run time per packet vs flow count (goal: flat within 20%) ==="
per_flow=()
for flows in 1 64 4096 65536; do
  read -r ns cnt _ < <(run_recv xdp "$flows")
  per_flow+=("$ns")
  printf '  %6d flows  %7.1f ns/packet  (%d runs)\n' "$flows" "$ns" "$cnt"
done
read -r _ lo hi < <(stats "${per_flow[@]}")
"$PY" -c 'import sys; lo, hi = float(sys.argv[1]), float(sys.argv[2]); print("  spread (max - min) / min = %.1f%% (goal <= 20%%): %s" % ((hi - lo) / lo * 100, "met" if (hi - lo) / lo <= 0.2 else "NOT met"))' "$lo" "$hi"
echo

# ---------------------------------------------------------------- 3. baseline vs XDP CPU
echo "=== 3. CPU ns per received packet, $RATE pps offered, 64 flows, +- the tick-resolution bound ==="
echo "  host:    whole-host busy CPU from /proc/stat (all CPUs, softirq included; the generator's cores"
echo "           and whatever else runs on this host too)"
echo "  receive: softirq of all CPUs (XDP, the kernel's receive path) + xdp-recv's own CPU time (the"
echo "           baseline's recvmmsg threads): the receiver's share without the generator"
read -r _ _ fb fbb fs fsb sentb < <(run_bare 64)
read -r _ _ xb xbb xr xrb xrecv xsent < <(run_recv xdp 64)
read -r _ _ bb bbb br brb brecv bsent < <(run_recv baseline 64)
"$PY" - "$fb" "$fbb" "$fs" "$fsb" "$sentb" "$xb" "$xbb" "$xr" "$xrb" "$xrecv" "$xsent" \
  "$bb" "$bbb" "$br" "$brb" "$brecv" "$bsent" "$RATE" "$DUR" <<'EOF'
import sys
a = sys.argv[1:]
want = int(a[17]) * int(a[18])
n = int(a[4])
bare = (int(a[0]) / n, int(a[1]) / n, int(a[2]) / n, int(a[3]) / n)
x = tuple(float(v) for v in a[5:9]); xr, xs = int(a[9]), int(a[10])
b = tuple(float(v) for v in a[11:15]); br, bs = int(a[15]), int(a[16])
row = "  %-26s host %6.0f +- %4.0f   receive %6.0f +- %4.0f ns/packet  %s"
print(row % ("bare count+drop (floor)", bare[0], bare[1], bare[2], bare[3], "(sent %d)" % n))
print(row % ("xdp-recv --mode xdp", x[0], x[1], x[2], x[3], "(received %d of %d)" % (xr, xs)))
print(row % ("xdp-recv --mode baseline", b[0], b[1], b[2], b[3], "(received %d of %d)" % (br, bs)))
def ratio(name, num, nume, den, dene):
    lo = (num - nume) / (den + dene)
    if den - dene <= 0:
        print("  ratio baseline / xdp, %s: %.2f (lower bound %.2f; no upper bound: xdp's figure is within its tick bound)" % (name, num / den, lo))
    else:
        print("  ratio baseline / xdp, %s: %.2f (bounds %.2f .. %.2f)" % (name, num / den, lo, (num + nume) / (den - dene)))
for name, sent in (("bare", n), ("xdp", xs), ("baseline", bs)):
    if sent != want:
        print("  WARNING: the %s run sent %d, not rate x duration = %d: the generator, sharing the CPUs, "
              "did not reach the offered rate, so the runs are not at the same rate (lower --rate)" % (name, sent, want))
ratio("whole host", b[0], b[1], x[0], x[1])
ratio("receive path", b[2], b[3], x[2], x[3])
EOF
echo
echo "done."
