#!/usr/bin/env bash
# Baseline vs XDP at the same loads, in one command: dpdk-gen's trial mode
# twice against one xdp-recv that serves both receive modes
# (xdp-recv --modes xdp,baseline), first with --receiver-mode xdp, then
# with --receiver-mode baseline; then the comparison (tools/compare_modes.py:
# compare.md, compare.json) and the plots (tools/plot/plot.py: CPU ns per
# packet against load, one series per receiver mode).  Thin: dpdk-gen
# measures and writes each summary.
#
#   tools/compare-modes.sh --loads 10kpps,50kpps [--trial-duration S] [--out DIR]
#                          <EAL args> -- <dpdk-gen options>
#
# The script's options come first.
#   --loads LIST         required: the loads, in order, each as dpdk-gen's
#                        --rate takes it (10kpps, 1Mpps, 2Gbps, 40%)
#   --trial-duration S   seconds per trial (default 5).  The receive CPU per
#                        packet comes from /proc/stat, which the kernel
#                        samples on timer ticks: it needs a window of at
#                        least 2 s to mean anything, and its bound is a
#                        fixed (3 x CPUs + 2) ticks of 10 ms over the trial's
#                        packets (80 ms on 2 CPUs: +-1.6 us per packet at
#                        10 kpps for 5 s), so longer trials or higher loads
#                        tighten it
#   --out DIR            default results/compare_YYYYMMDD_HHMMSS (UTC); gets
#                        DIR/xdp/ and DIR/baseline/ (summary.json, a copy; run,
#                        a link to dpdk-gen's directory; dpdk-gen.stdout),
#                        DIR/compare.md, DIR/compare.json and DIR/plots/
# <dpdk-gen options>: any but --trials, --trial-duration, --search,
# --summary-json and --receiver-mode (the script's).  xdp-recv must serve
# both modes: started with --modes xdp,baseline (or baseline,xdp).
#
# Output: dpdk-gen's own lines (a progress line per trial) on stdout; the
# script's own lines on stderr.
# Environment: EBT_DPDK_GEN, the dpdk-gen command (default
# build/generator/dpdk-gen; e.g. "ip netns exec NS build/generator/dpdk-gen").
# Exit: 0 both runs complete and compared; 1 a run incomplete or without a
# summary, or the comparison could not be made (what there is is still
# compared and plotted); 2 bad input (one line).
# Docs: docs/throughput.md ("Baseline vs XDP").
set -euo pipefail
# shellcheck source=tools/plot/trials.sh
source "$(dirname "$0")/plot/trials.sh"

loads=""
duration=5
out=""
while (($#)); do
  case $1 in
    -h | --help) tr_usage; exit 0 ;;
    --loads | --trial-duration | --out)
      (($# >= 2)) || tr_bad "$1: expected a value"
      case $1 in
        --loads) loads=$2 ;; --out) out=$2 ;;
        --trial-duration)
          [[ $2 =~ ^([0-9]+\.?[0-9]*|\.[0-9]+)$ && ! $2 =~ ^0*\.?0*$ ]] ||
            tr_bad "--trial-duration: '$2' is not a positive number of seconds"
          duration=$2 ;;
      esac
      shift 2 ;;
    *) break ;;
  esac
done
[[ -n $loads ]] || tr_bad "--loads: required (e.g. --loads 10kpps,50kpps)"
[[ $loads =~ ^[^,[:space:]]+(,[^,[:space:]]+)*$ ]] || tr_bad "--loads: '$loads' is not a comma-separated list of loads"
tr_split "$@"
tr_forbid --trials --trial-duration --search --summary-json --receiver-mode
out=${out:-results/compare_$(date -u +%Y%m%d_%H%M%S)}
mkdir -p "$out"

# The same loads, one receiver, the mode asked per run (xdp first: its
# figures are the ratios' denominators).
runs=()
for mode in xdp baseline; do
  if tr_run "receiver mode $mode" "$out/$mode" --trials "$loads" --trial-duration "$duration" \
    --receiver-mode "$mode"; then
    runs+=("$out/$mode")
  fi
done
if ((${#runs[@]} == 2)); then
  rc=0
  "$TR_PY" "$TR_ROOT/tools/compare_modes.py" --out "$out" --loads "$loads" \
    "$out/xdp/run" "$out/baseline/run" >&2 || rc=$?
  # Its exit 1: written, a trial missing or incomplete; 2: a summary or
  # results file it could not use (not this script's input: also 1 here).
  if ((rc == 1)); then
    echo "$TR_SELF: compared, but a trial is missing or incomplete: $out/compare.md" >&2
    TR_STATUS=1
  elif ((rc != 0)); then
    echo "$TR_SELF: the comparison failed (tools/compare_modes.py exit $rc)" >&2
    TR_STATUS=1
  else
    echo "$TR_SELF: comparison: $out/compare.md" >&2
  fi
else
  echo "$TR_SELF: no comparison: a run has no summary" >&2
  TR_STATUS=1
fi
((${#runs[@]} == 0)) || tr_plot "$out/plots" "${runs[@]}" || TR_STATUS=1
exit "$TR_STATUS"
