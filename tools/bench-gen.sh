#!/usr/bin/env bash
# Benchmarks the DPDK generator (build/generator/dpdk-gen) on the net_null
# virtual PMD (no NIC needed):
#   1. throughput at --rate max for 64- and 1518-byte frames on the wire
#      (--size 60 / 1514, FCS excluded), alternating dpdk-gen and
#      dpdk-testpmd --forward-mode=txonly on the same lcores (A B A B);
#   2. rate accuracy of the pacer for 1e3 .. 1e7 pps.
# net_null frees every packet at once, so these figures are the software
# cost of building and handing packets to the PMD, not a wire rate.
#
# Usage (as root): tools/bench-gen.sh [--quick] [--gen PATH [--gen PATH]]
#   default: 5 s throughput runs, 2 alternations; 2 s rate runs (1 s at 1e7)
#   --quick: 1 s runs, 1 alternation
#   --gen PATH: the dpdk-gen binary to measure; given twice (say, a copy of
#            the binary before a change, then the one after), both are
#            measured in the same run, in turn with testpmd (A B C A B C),
#            each with its ratio against testpmd, then after / before
# Env: DPDK_GEN (the one binary when no --gen; default build/generator/dpdk-gen),
#      TESTPMD (default dpdk-testpmd)
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/lib/harness.sh

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }

QUICK=0
GENS=()
while (($#)); do
  case "$1" in
    --quick) QUICK=1 ;;
    --gen) (($# >= 2)) || { echo "bench-gen.sh: --gen: expected a path" >&2; exit 2; }
           GENS+=("$2"); shift ;;
    --gen=*) GENS+=("${1#--gen=}") ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench-gen.sh: unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
((${#GENS[@]} <= 2)) || { echo "bench-gen.sh: --gen: at most two binaries (before, after)" >&2; exit 2; }

if [[ $EUID -ne 0 ]]; then
  echo "bench-gen.sh: run as root (DPDK needs it)" >&2
  exit 2
fi

((${#GENS[@]})) || GENS=("${DPDK_GEN:-$PWD/build/generator/dpdk-gen}")
for i in "${!GENS[@]}"; do GENS[i]=$(realpath -m -- "${GENS[i]}"); done
TESTPMD=${TESTPMD:-$(command -v dpdk-testpmd || echo /usr/bin/dpdk-testpmd)}
PY=$HX_PY
for f in "${GENS[@]}" "$TESTPMD" "$PY"; do
  [[ -x $f ]] || { echo "bench-gen.sh: $f not found or not executable (build first: ninja -C build)" >&2; exit 2; }
done

if (( QUICK )); then
  TP_DUR=1; ALTS=1; RATE_DUR=1; RATE_DUR_10M=1
else
  TP_DUR=5; ALTS=2; RATE_DUR=2; RATE_DUR_10M=1
fi

TMP=$(mktemp -d /tmp/bench-gen.XXXXXX)
HX_CLEAN+=("$TMP")
hx_traps

# One TX lcore (lcore 1), lcore 0 for the main thread (HX_EAL); the same
# for testpmd, with more memory for its mbufs.
GEN_EAL=(--vdev net_null0 --log-level=error)
PMD_EAL=(--no-huge --no-pci -m 512 --no-shconf -l 0-1 --vdev net_null0 --log-level=error)
DST_MAC=02:00:00:00:00:02

# run_gen SIZE RATE DURATION FLOWS -> prints the results.json path
# ($DPDK_GEN: the binary measured)
run_gen() {
  local size=$1 rate=$2 dur=$3 flows=$4
  # Called in $(...) (a subshell): a counter would not survive, so mktemp.
  local dir
  dir=$(mktemp -d "$TMP/gen.XXXXXX")
  if ! hx_gen "" "${GEN_EAL[@]}" -- --no-coordination --dst-mac "$DST_MAC" --rate "$rate" \
        --duration "$dur" --size "$size" --flows "$flows" --results-dir "$dir" \
        --name "bench_${size}_${rate}" >"$dir/stdout.log" 2>&1; then
    echo "bench-gen.sh: dpdk-gen failed (size $size rate $rate):" >&2
    tail -20 "$dir/stdout.log" >&2
    exit 1
  fi
  local json
  local found=("$dir"/two_machine/test_*/results.json)
  [[ ${#found[@]} -eq 1 && -f ${found[0]} ]] ||
    { echo "bench-gen.sh: expected one results.json under $dir, found: ${found[*]}" >&2; exit 1; }
  json=${found[0]}
  echo "$json"
}

# gen_max_pps JSON -> "whole_pps steady_pps steady_note"
# whole  = summary.achieved_pps (sent / elapsed over the whole run)
# steady = from the generator's 1 s samples, discarding the first second
#          (warm-up); falls back to the whole run when the run is too short
#          (tools/lib/result.py's steady_pps).
gen_max_pps() { result_figures "$1" achieved_pps steady_pps steady_note; }

# run_testpmd SIZE DURATION -> "steady_pps note"
# testpmd prints "Tx-pps" every second (--stats-period 1), measured over the
# interval since the previous print with the TSC.  The first print covers the
# start of forwarding (warm-up) and is discarded; the rest are averaged.  This
# is used rather than the final TX-packets / wall time because the exact
# forwarding time is not printed (timeout counts EAL init and shutdown too).
run_testpmd() {
  local size=$1 dur=$2
  local log
  log=$(mktemp "$TMP/testpmd.XXXXXX")
  # +1 s: the first (warm-up) interval is thrown away.
  local rc=0
  timeout -s INT $((dur + 1)) "$TESTPMD" "${PMD_EAL[@]}" -- --forward-mode=txonly \
      --txpkts="$size" --stats-period 1 --total-num-mbufs=16384 --nb-cores=1 \
      </dev/null >"$log" 2>&1 || rc=$?
  # 124 = stopped by timeout (expected)
  if (( rc != 0 && rc != 124 )); then
    echo "bench-gen.sh: dpdk-testpmd failed (rc $rc, size $size):" >&2
    tail -20 "$log" >&2
    exit 1
  fi
  "$PY" - "$log" <<'EOF'
import re, sys
txt = open(sys.argv[1], errors="replace").read()
v = [int(x) for x in re.findall(r"Tx-pps:\s+(\d+)", txt)]
if not v:
    sys.exit("no Tx-pps lines in testpmd output")
if len(v) >= 2:
    kept, note = v[1:], "mean of %d x 1 s, first dropped" % (len(v) - 1)
else:
    kept, note = v, "single 1 s interval, warm-up not dropped"
print(sum(kept) / len(kept), note.replace(" ", "_"))
EOF
}

mpps() { awk -v v="$1" 'BEGIN { printf "%.2f\n", v / 1e6 }'; }

# ---------------------------------------------------------------- machine
echo "=== dpdk-gen benchmark ($( ((QUICK)) && echo quick || echo full ) mode) ==="
echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "host:    $(hostname)"
echo "cpus:    $(nproc) ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'))"
echo "kernel:  $(uname -srm)"
echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min; other load skews the figures)"
echo "dpdk:    $(pkg-config --modversion libdpdk 2>/dev/null || dpkg-query -W -f='${Version}' dpdk 2>/dev/null || echo unknown)"
echo "commit:  $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- generator common 2>/dev/null || echo ' (generator/common modified)')"
# The binaries' names in the tables: dpdk-gen, or before and after.
if ((${#GENS[@]} == 1)); then LABELS=(dpdk-gen); else LABELS=(before after); fi
if ((${#GENS[@]} == 1)); then
  echo "gen:     ${GENS[0]}"
else
  echo "before:  ${GENS[0]}"
  echo "after:   ${GENS[1]}"
fi
echo "testpmd: $TESTPMD"
echo "PMD:     net_null (virtual; no wire), 1 TX lcore (lcore 1), burst 32 both"
echo

# ---------------------------------------------------------------- throughput
echo "=== 1. Throughput, --rate max, 1 TX lcore, ${TP_DUR} s per run, ${ALTS} alternation(s) ==="
echo "dpdk-gen: 1024 flows; Mpps steady = 1 s samples after the first second (whole run in brackets)"
echo "testpmd:  txonly, default single flow; Mpps = mean of its 1 s Tx-pps after the first"
echo
for size in 60 1514; do
  wire=$((size + 4))
  gen_s=(); gen_w=(); pmd_s=()   # gen_*[g]: binary g's figures, space-separated
  for g in "${!GENS[@]}"; do gen_s[g]=""; gen_w[g]=""; done
  echo "--- ${wire}-byte frames on the wire (--size / --txpkts $size) ---"
  for ((i = 1; i <= ALTS; i++)); do
    for g in "${!GENS[@]}"; do
      json=$(DPDK_GEN=${GENS[g]} run_gen "$size" max "$TP_DUR" 1024)
      read -r whole steady note < <(gen_max_pps "$json")
      gen_s[g]+=" $steady"; gen_w[g]+=" $whole"
      printf '  run %d  %-8s  %7s Mpps  (%s; whole run %s Mpps)\n' "$i" "${LABELS[g]}" "$(mpps "$steady")" "$note" "$(mpps "$whole")"
    done
    read -r tp note < <(run_testpmd "$size" "$TP_DUR")
    pmd_s+=("$tp")
    printf '  run %d  testpmd   %7s Mpps  (%s)\n' "$i" "$(mpps "$tp")" "${note//_/ }"
  done
  args=()
  for g in "${!GENS[@]}"; do args+=("${LABELS[g]}" "${gen_s[g]}" "${gen_w[g]}"); done
  "$PY" - "$wire" "${pmd_s[*]}" "${args[@]}" <<'EOF'
import sys
wire = int(sys.argv[1])
p = [float(x) for x in sys.argv[2].split()]
mp = sum(p) / len(p)
gens = []
for i in range(3, len(sys.argv), 3):
    g, gw = ([float(x) for x in a.split()] for a in sys.argv[i + 1:i + 3])
    gens.append((sys.argv[i], sum(g) / len(g), sum(gw) / len(gw)))
for name, mg, mgw in gens:
    print("  mean   %-8s  %7.2f Mpps  (whole run %.2f Mpps; %.2f Gbit/s of frames)" % (name, mg / 1e6, mgw / 1e6, mg * wire * 8 / 1e9))
print("  mean   testpmd   %7.2f Mpps" % (mp / 1e6))
for name, mg, _ in gens:
    print("  ratio  %s/testpmd = %.3f  (%+.1f%%)" % (name, mg / mp, (mg / mp - 1) * 100))
if len(gens) == 2:
    (n1, m1, _), (n2, m2, _) = gens
    print("  ratio  %s/%s = %.3f  (%+.1f%%)" % (n2, n1, m2 / m1, (m2 / m1 - 1) * 100))
EOF
  echo
done

# ---------------------------------------------------------------- rate accuracy
echo "=== 2. Rate accuracy on net_null: 4 flows, 60-byte frames (64 on the wire) ==="
printf '%12s %5s %11s %14s %9s %12s %12s %9s %9s %9s %8s %8s %10s\n' \
  target dur_s elapsed_s achieved_pps error_% sent expected sent-exp retries dropped p50_ns p99_ns max_ns
for g in "${!GENS[@]}"; do
  ((${#GENS[@]} == 1)) || echo "${LABELS[g]}: ${GENS[g]}"
  for target in 1000 10000 100000 1000000 10000000; do
    dur=$RATE_DUR
    (( target == 10000000 )) && dur=$RATE_DUR_10M
    json=$(DPDK_GEN=${GENS[g]} run_gen 60 "$target" "$dur" 4)
    read -r elapsed ach sent retries dropped p50 p99 max < <(result_figures "$json" elapsed_s achieved_pps sent \
      tx_full_retries tx_full_dropped pacing_p50_ns pacing_p99_ns pacing_max_ns)
    awk -v t="$target" -v d="$dur" -v el="$elapsed" -v a="$ach" -v s="$sent" -v r="$retries" -v dr="$dropped" \
        -v p50="$p50" -v p99="$p99" -v mx="$max" 'BEGIN {
      e = int(t * d + 0.5)
      printf "%12d %5g %11.6f %14.1f %+9.4f %12d %12d %+9d %9d %9d %8s %8s %10s\n",
        t, d, el, a, (a - t) / t * 100, s, e, s - e, r, dr, p50, p99, mx }'
  done
done
echo "error_% = (achieved_pps - target) / target; achieved_pps = summary.achieved_pps = sent / generator.elapsed_s."
echo "elapsed_s runs from the first to the last packet's departure, i.e. (sent-1)/rate for an exact pacer,"
echo "so achieved_pps reads high by about 1/sent (+0.1% for 1000 packets) even when sent == expected."
echo "p50/p99/max_ns = generator.pacing: per burst, the TSC just before rte_eth_tx_burst minus the burst's"
echo "scheduled TSC; max exact, p50/p99 bucket midpoints of a log-linear histogram, within 3.125%."
echo
echo "done."
